// The umbrella module: `import KubeKit` brings every layer of the SDK.
@_exported import KubeConfig
@_exported import KubeErrors
@_exported import KubeResources
@_exported import KubeRetry
@_exported import KubeTransport
@_exported import KubeRuntime
