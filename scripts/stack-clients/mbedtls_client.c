/* mbedtls_client.c - one mbed TLS 2.28 handshake, for scripts/make-stack-samples.sh.
 * mbedtls_client ADDR PORT SNI|- [1.0|1.1|1.2|-]
 * Preset defaults as an application gets them; the certificate is not checked. */
#include <stdio.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_net_init(&net);
	mbedtls_ssl_init(&ssl);
	mbedtls_ssl_config_init(&conf);
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0) != 0 ||
	    mbedtls_net_connect(&net, argv[1], argv[2], MBEDTLS_NET_PROTO_TCP) != 0 ||
	    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		return 1;
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	if (argc > 4 && strcmp(argv[4], "-") != 0) {
		int minor = argv[4][2] == '0'	? MBEDTLS_SSL_MINOR_VERSION_1
			    : argv[4][2] == '1' ? MBEDTLS_SSL_MINOR_VERSION_2
						: MBEDTLS_SSL_MINOR_VERSION_3;
		mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, minor);
		mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, minor);
	}
	if (mbedtls_ssl_setup(&ssl, &conf) != 0)
		return 1;
	if (strcmp(argv[3], "-") != 0 && mbedtls_ssl_set_hostname(&ssl, argv[3]) != 0)
		return 1;
	mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);
	int rc;
	while ((rc = mbedtls_ssl_handshake(&ssl)) != 0)
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			fprintf(stderr, "handshake: -0x%04x\n", (unsigned)-rc);
			return 1;
		}
	printf("%s %s\n", mbedtls_ssl_get_version(&ssl), mbedtls_ssl_get_ciphersuite(&ssl));
	mbedtls_ssl_close_notify(&ssl);
	mbedtls_net_free(&net);
	return 0;
}
