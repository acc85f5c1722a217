import Foundation
import JWTKit
import Syncwright

/// Every claim of a token, kept as JSON values so a subset may name any claim.
struct ClaimsPayload: JWTPayload {
    var claims: [String: JSONValue]

    init(claims: [String: JSONValue]) {
        self.claims = claims
    }

    init(from decoder: any Decoder) throws {
        claims = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(claims)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        let now = Date().timeIntervalSince1970
        if let exp = claims["exp"] {
            guard let seconds = exp.numberValue else { throw TokenError("the exp claim is not a number") }
            guard seconds > now else { throw TokenError("the token expired") }
        }
        if let nbf = claims["nbf"] {
            guard let seconds = nbf.numberValue else { throw TokenError("the nbf claim is not a number") }
            guard seconds <= now + 60 else { throw TokenError("the token is not valid yet") }
        }
    }
}

struct TokenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension JSONValue {
    var numberValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}

/// How the server checks tokens: one key, one algorithm.
public struct TokenVerifier: Sendable {
    /// The algorithms the server accepts.
    public enum Algorithm: String, Sendable {
        case hs256 = "HS256", rs256 = "RS256", es256 = "ES256"
    }

    private let keys: JWTKeyCollection
    /// The one algorithm a token's header must name; any other is refused, so a token
    /// signed with the public key as an HMAC secret can't pass.
    public let algorithm: Algorithm

    /// A shared HS256 secret.
    public static func hmac(secret: String) async throws -> TokenVerifier {
        guard secret.utf8.count >= 32 else {
            throw TokenError("the JWT secret must be at least 32 bytes")
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return TokenVerifier(keys: keys, algorithm: .hs256)
    }

    /// An RS256 or ES256 public key in PEM.
    public static func publicKey(pem: String) async throws -> TokenVerifier {
        let keys = JWTKeyCollection()
        if let key = try? Insecure.RSA.PublicKey(pem: pem) {
            await keys.add(rsa: key, digestAlgorithm: .sha256)
            return TokenVerifier(keys: keys, algorithm: .rs256)
        }
        if let key = try? ES256PublicKey(pem: pem) {
            await keys.add(ecdsa: key)
            return TokenVerifier(keys: keys, algorithm: .es256)
        }
        throw TokenError("the public key is neither an RSA nor a P-256 public key in PEM")
    }

    /// The verified claims of a bearer token, or a 401 saying why not.
    func claims(ofToken token: String) async throws(ProtocolError) -> [String: JSONValue] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.base64URLDecoded(String(parts[0])),
              let fields = try? JSONDecoder().decode([String: JSONValue].self, from: header)
        else {
            throw .unauthorized("the bearer token is not a JWT")
        }
        guard fields["alg"]?.stringValue == algorithm.rawValue else {
            throw .unauthorized("the token is signed with \(fields["alg"]?.stringValue ?? "no algorithm"); the server accepts \(algorithm.rawValue)")
        }
        do {
            return try await keys.verify(token, as: ClaimsPayload.self).claims
        } catch let error as TokenError {
            throw .unauthorized(error.description)
        } catch {
            throw .unauthorized("the token's signature is not valid")
        }
    }

    static func base64URLDecoded(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

/// Mints development tokens (`syncwright-server token`).
public enum TokenMinter {
    /// An HS256 token with `claims`, expiring after `lifetime` seconds (nil: never).
    public static func mint(secret: String, claims: [String: JSONValue], lifetime: TimeInterval?) async throws -> String {
        guard secret.utf8.count >= 32 else { throw TokenError("the JWT secret must be at least 32 bytes") }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        var claims = claims
        let now = Date().timeIntervalSince1970.rounded(.down)
        claims["iat"] = .integer(Int64(now))
        if let lifetime { claims["exp"] = .integer(Int64(now + lifetime)) }
        return try await keys.sign(ClaimsPayload(claims: claims))
    }
}
