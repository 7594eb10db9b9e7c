/* placeholder: being written */
typedef int ta_placeholder_tls_names;
