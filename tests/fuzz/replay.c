/* replay.c - runs a fuzz target over files and directories of inputs, so
 * every `meson test` (and the sanitizer build) replays the seed corpus and
 * the regression inputs without libFuzzer (libpcap testprogs/fuzz/onefile.c). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned long *count)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return 1;
	}
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, fp)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(fp);
	if (!buf)
		return 1;
	LLVMFuzzerTestOneInput(buf, len);
	/* every prefix of small inputs too: truncation is the commonest damage */
	if (len <= 4096)
		for (size_t k = 0; k < len; k++)
			LLVMFuzzerTestOneInput(buf, k);
	free(buf);
	(*count)++;
	return 0;
}

static int run_path(const char *path, unsigned long *count)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		fprintf(stderr, "replay: %s does not exist\n", path);
		return 1;
	}
	if (!S_ISDIR(sb.st_mode))
		return run_file(path, count);
	DIR *d = opendir(path);
	if (!d)
		return 1;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rc |= run_path(sub, count);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++)
		rc |= run_path(argv[i], &count);
	printf("replayed %lu inputs\n", count);
	return rc || count == 0;
}
