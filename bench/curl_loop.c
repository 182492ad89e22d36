/* The ceiling for practice's delivery design: a bare libcurl loop that sends
 * pre-rendered messages over one reused handle, with no bookkeeping at all.
 * Input file: for each message, "RCPT\n" "SIZE\n" then SIZE bytes.
 * Usage: curl_loop URL FROM FILE */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor { const char *data; size_t size, pos; };

static size_t read_cb(char *buf, size_t size, size_t n, void *p) {
  struct cursor *c = p;
  size_t left = c->size - c->pos, want = size * n;
  if (want > left) want = left;
  memcpy(buf, c->data + c->pos, want);
  c->pos += want;
  return want;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: curl_loop URL FROM FILE\n"); return 64; }
  FILE *f = fopen(argv[3], "rb");
  if (!f) { perror(argv[3]); return 66; }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, argv[1]);
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, argv[2]);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
  char rcpt[512];
  long sent = 0, failed = 0;
  while (fgets(rcpt, sizeof rcpt, f)) {
    rcpt[strcspn(rcpt, "\n")] = 0;
    size_t size;
    if (fscanf(f, "%zu\n", &size) != 1) break;
    char *data = malloc(size);
    if (fread(data, 1, size, f) != size) { free(data); break; }
    struct curl_slist *to = curl_slist_append(NULL, rcpt);
    struct cursor c = {data, size, 0};
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
    curl_easy_setopt(h, CURLOPT_READDATA, &c);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    if (curl_easy_perform(h) == CURLE_OK) sent++; else failed++;
    curl_slist_free_all(to);
    free(data);
  }
  curl_easy_cleanup(h);
  printf("%ld %ld\n", sent, failed);
  return failed ? 1 : 0;
}
