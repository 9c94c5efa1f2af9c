import Foundation

/// apimachinery's `duration.HumanDuration`: `42s`, `5m39s`, `3h12m`, `6d`, `2y30d` — the ages kubectl prints and
/// kube-apiserver's tables carry. Shared by the models (`KubeAge`) and the fake cluster's tables.
package enum HumanDuration {
    /// `seconds` as an age.
    package static func format(_ seconds: TimeInterval) -> String {
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        let total = Int(seconds)
        if total < 60 * 2 { return "\(total)s" }
        let minutes = total / 60
        if minutes < 10 {
            let rest = total % 60
            return rest == 0 ? "\(minutes)m" : "\(minutes)m\(rest)s"
        }
        if minutes < 60 * 3 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 {
            let rest = minutes % 60
            return rest == 0 ? "\(hours)h" : "\(hours)h\(rest)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let rest = hours % 24
            return rest == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(rest)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let days = hours / 24 % 365
            return days == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(days)d"
        }
        return "\(hours / 24 / 365)y"
    }
}
