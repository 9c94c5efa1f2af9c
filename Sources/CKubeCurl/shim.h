// Thin, typed wrappers around libcurl's variadic calls, which Swift cannot call directly.
// Everything here is `static inline`: a system-library target carries headers only.
#ifndef CKUBECURL_SHIM_H
#define CKUBECURL_SHIM_H

#include <curl/curl.h>

static inline CURLcode ckube_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ckube_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ckube_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ckube_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ckube_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// Passes a memory blob (certificate, key, CA bundle) to libcurl; CURL_BLOB_COPY makes libcurl keep its own copy.
static inline CURLcode ckube_easy_setopt_blob(CURL *handle, CURLoption option, void *data, size_t length) {
    struct curl_blob blob;
    blob.data = data;
    blob.len = length;
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(handle, option, &blob);
}

/// Sets CURLOPT_WRITEFUNCTION or CURLOPT_HEADERFUNCTION (both take a curl_write_callback).
static inline CURLcode ckube_easy_setopt_callback(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode ckube_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode ckube_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode ckube_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode ckube_easy_getinfo_socket(CURL *handle, CURLINFO info, curl_socket_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// Sets CURLOPT_XFERINFOFUNCTION (progress; returning non-zero aborts the transfer).
static inline CURLcode ckube_easy_setopt_xferinfo(CURL *handle, curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLMcode ckube_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

/// curl_version_info for the version of the headers we compiled against (CURLVERSION_NOW is a macro).
static inline curl_version_info_data *ckube_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}

#endif
