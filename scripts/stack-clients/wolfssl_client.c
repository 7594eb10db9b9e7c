/* wolfssl_client.c - one wolfSSL 5.5 handshake, for scripts/make-stack-samples.sh.
 * wolfssl_client ADDR PORT SNI|- [1.2|-]   ("-": wolfSSLv23_client_method, the highest version it has)
 * The certificate is not checked: the capture only needs the ClientHello. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || connect(fd, (void *)&sa, sizeof(sa)) != 0)
		return 1;
	wolfSSL_Init();
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(argc > 4 && strcmp(argv[4], "1.2") == 0 ? wolfTLSv1_2_client_method()
										   : wolfSSLv23_client_method());
	if (!ctx)
		return 1;
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
	WOLFSSL *ssl = wolfSSL_new(ctx);
	if (!ssl)
		return 1;
	if (strcmp(argv[3], "-") != 0)
		wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, argv[3], (unsigned short)strlen(argv[3]));
	wolfSSL_set_fd(ssl, fd);
	if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) {
		fprintf(stderr, "handshake: %d\n", wolfSSL_get_error(ssl, 0));
		return 1;
	}
	printf("%s %s\n", wolfSSL_get_version(ssl), wolfSSL_get_cipher(ssl));
	wolfSSL_shutdown(ssl);
	wolfSSL_free(ssl);
	wolfSSL_CTX_free(ctx);
	close(fd);
	return 0;
}
