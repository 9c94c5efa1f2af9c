// KubeTesting: the recorded-response transport and recorder, shipped for users' tests too.
// The module exists so that the dependency graph is fixed from the start; its contents arrive with the
// issue "KubeTransport on libcurl, KubeRetry, and KubeTesting recordings".
