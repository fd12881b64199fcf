// Test guest for outbound HTTP (wasi_experimental_http, WAGI's ABI 0.10.0). The query picks
// what it does (argv[1..] are the '&'-separated pieces):
//   ?get&URL       GET URL; print status, two headers, all headers and the body
//   ?post&URL      POST the request body to URL with two headers; print status and body
//   ?method&URL    a request with an invalid method
//   ?many&N&URL    N GETs without closing any; print each result code
//   ?bad           every call on a handle that was never opened
// Each host call's result code is printed, so the test sees exactly what the guest got.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_IMPORT(name) \
    __attribute__((import_module("wasi_experimental_http"), import_name(name)))

HTTP_IMPORT("req")
uint32_t http_req(const char *url, size_t url_len, const char *method, size_t method_len,
                  const char *headers, size_t headers_len, const uint8_t *body, size_t body_len,
                  uint16_t *status, uint32_t *handle);
HTTP_IMPORT("close") uint32_t http_close(uint32_t handle);
HTTP_IMPORT("header_get")
uint32_t http_header_get(uint32_t handle, const char *name, size_t name_len, char *value,
                         size_t value_len, size_t *written);
HTTP_IMPORT("headers_get_all")
uint32_t http_headers_get_all(uint32_t handle, char *buf, size_t buf_len, size_t *written);
HTTP_IMPORT("body_read")
uint32_t http_body_read(uint32_t handle, uint8_t *buf, size_t buf_len, size_t *written);

static uint32_t request(const char *method, const char *url, const char *headers,
                        const uint8_t *body, size_t body_len, uint16_t *status,
                        uint32_t *handle) {
    return http_req(url, strlen(url), method, strlen(method), headers, strlen(headers), body,
                    body_len, status, handle);
}

static void print_header(uint32_t handle, const char *name, size_t buf_len) {
    char value[256];
    size_t written = 0;
    uint32_t err = http_header_get(handle, name, strlen(name), value, buf_len, &written);
    if (err == 0) {
        printf("header %s=%.*s\n", name, (int)written, value);
    } else {
        printf("header %s: error %u\n", name, err);
    }
}

// Prints the body, read 7 bytes at a time (several body_read calls).
static void print_body(uint32_t handle) {
    uint8_t chunk[7];
    size_t written;
    printf("body:\n");
    for (;;) {
        uint32_t err = http_body_read(handle, chunk, sizeof chunk, &written);
        if (err != 0) {
            printf("\nbody_read: error %u\n", err);
            return;
        }
        if (written == 0) {
            break;
        }
        fwrite(chunk, 1, written, stdout);
    }
    printf("\nend of body\n");
}

static size_t read_stdin(uint8_t *buf, size_t cap) {
    size_t n = 0, got;
    while (n < cap && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
        n += got;
    }
    return n;
}

int main(int argc, char **argv) {
    printf("Content-Type: text/plain\n\n");
    const char *mode = argc > 1 ? argv[1] : "";
    uint16_t status = 0;
    uint32_t handle = 0;

    if (strcmp(mode, "get") == 0 && argc > 2) {
        uint32_t err = request("GET", argv[2], "x-guest:jwagi\n", NULL, 0, &status, &handle);
        printf("req=%u status=%u\n", err, (unsigned)status);
        if (err != 0) {
            return 0;
        }
        print_header(handle, "Content-Type", 256);
        print_header(handle, "x-test", 256);
        print_header(handle, "x-missing", 256);
        print_header(handle, "x-test", 1);
        char all[2048];
        size_t written = 0;
        uint32_t all_err = http_headers_get_all(handle, all, sizeof all, &written);
        printf("headers_get_all=%u\n%.*s", all_err, (int)written, all);
        printf("headers_get_all small=%u\n", http_headers_get_all(handle, all, 3, &written));
        print_body(handle);
        printf("close=%u\n", http_close(handle));
        uint8_t byte;
        printf("body_read after close=%u\n", http_body_read(handle, &byte, 1, &written));
    } else if (strcmp(mode, "post") == 0 && argc > 2) {
        static uint8_t body[65536];
        size_t len = read_stdin(body, sizeof body);
        uint32_t err = request("POST", argv[2], "content-type: text/plain\nx-guest:jwagi\n", body,
                               len, &status, &handle);
        printf("req=%u status=%u\n", err, (unsigned)status);
        if (err == 0) {
            print_body(handle);
            http_close(handle);
        }
    } else if (strcmp(mode, "method") == 0 && argc > 2) {
        printf("req=%u\n", request("NOT A METHOD", argv[2], "", NULL, 0, &status, &handle));
    } else if (strcmp(mode, "many") == 0 && argc > 3) {
        int n = atoi(argv[2]);
        for (int i = 0; i < n; i++) {
            printf("req[%d]=%u\n", i, request("GET", argv[3], "", NULL, 0, &status, &handle));
        }
    } else if (strcmp(mode, "bad") == 0) {
        uint32_t bad = 4242;
        char buf[16];
        size_t written;
        printf("header_get=%u\n", http_header_get(bad, "a", 1, buf, sizeof buf, &written));
        printf("headers_get_all=%u\n", http_headers_get_all(bad, buf, sizeof buf, &written));
        printf("body_read=%u\n", http_body_read(bad, (uint8_t *)buf, sizeof buf, &written));
        printf("close=%u\n", http_close(bad));
    } else {
        printf("unknown mode\n");
    }
    return 0;
}
