// KubeRetry: backoff policies, Retry-After handling and retryOnConflict.
// The module exists so that the dependency graph is fixed from the start; its contents arrive with the
// issue "KubeTransport on libcurl, KubeRetry, and KubeTesting recordings".
