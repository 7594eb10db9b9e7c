/* placeholder: being written */
typedef int ta_placeholder_decode;
