// KubeResources: generated models and typed APIs for pods, deployments and events; raw-manifest apply.
// The module exists so that the dependency graph is fixed from the start; its contents arrive with the
// issue "KubeResources: generated models and typed async APIs".
