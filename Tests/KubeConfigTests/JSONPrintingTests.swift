import Foundation
import Testing
@testable import KubeConfig

@Suite("JSON and YAML text of objects, as kubectl -o json / -o yaml print them")
struct JSONPrintingTests {
    let pod: JSONValue = [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": "web", "labels": ["app": "web", "tier": "true"], "annotations": [:]],
        "spec": ["containers": [["name": "nginx", "image": "nginx:1.27", "args": ["-g", "daemon off;"], "ports": [["containerPort": 80]]]],
                 "nodeSelector": ["disk": "ssd"]],
        "data": ["script": "echo hi\necho bye\n", "empty": "", "number": "0123", "colon": "a: b", "null": "null", "spaced": " x",
                 "time": "2026-12-01T14:48:18Z"],
        "ratio": 0.5, "on": true, "missing": nil, "list": [],
    ]

    @Test("YAML: sorted keys, sequences at their key's indentation, quoting where needed, literal blocks")
    func yaml() throws {
        #expect(pod.yamlText == """
            apiVersion: v1
            data:
              colon: "a: b"
              empty: ""
              "null": "null"
              number: "0123"
              script: |
                echo hi
                echo bye
              spaced: " x"
              time: "2026-12-01T14:48:18Z"
            kind: Pod
            list: []
            metadata:
              annotations: {}
              labels:
                app: web
                tier: "true"
              name: web
            missing: null
            "on": true
            ratio: 0.5
            spec:
              containers:
              - args:
                - -g
                - daemon off;
                image: nginx:1.27
                name: nginx
                ports:
                - containerPort: 80
              nodeSelector:
                disk: ssd

            """)
    }

    @Test("YAML text reads back as the same value, control characters included")
    func roundTrip() throws {
        let documents = try YAMLReader.documents(in: pod.yamlText)
        #expect(documents.first?.root?.json == pod)
        let odd: JSONValue = ["bell": "a\u{07}b", "delete": "x\u{7F}", "tab": "a\tb", "quote": "say \"hi\"", "lines": "a\n\u{1}b\n",
                              "nested": [["- x", ["k": "v"]], [[1, 2]]]]
        #expect(odd.yamlText.contains("bell: \"a\\u0007b\"\n"))
        #expect(odd.yamlText.contains("delete: \"x\\u007F\"\n"))
        #expect(try YAMLReader.documents(in: odd.yamlText).first?.root?.json == odd)
    }

    @Test("JSON indented four spaces, keys in stored order")
    func json() {
        let value: JSONValue = ["kind": "List", "items": [["a": 1]], "metadata": [:]]
        #expect(value.prettyJSONText() == "{\n    \"kind\": \"List\",\n    \"items\": [\n        {\n            \"a\": 1\n        }\n    ],\n    \"metadata\": {}\n}\n")
    }
}
