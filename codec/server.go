package codec

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// maxRequest bounds a codec request; Temporal caps one payload at 2 MiB and
// the UI sends a handful at a time.
const maxRequest = 8 << 20

// ServerOptions configure Handler.
type ServerOptions struct {
	// Tokens are accepted as "Authorization: Bearer <token>" (the CLI's
	// --codec-auth, scripts).
	Tokens []string
	// PathToken, when set, is also accepted as a path segment before the
	// operation (<mount>/<PathToken>/decode). The Temporal UI sends no
	// bearer header without OIDC, so its codec endpoint carries the token in
	// the URL; whoever can read the UI's settings can use the UI anyway.
	PathToken string
	// Origins lists the browser origins allowed by CORS: the Temporal UI's.
	Origins []string
}

// Handler serves the remote codec protocol: POST <mount>/encode and
// <mount>/decode with a JSON Payloads body. Mount it with the prefix
// stripped. With no token configured every request is refused: the
// endpoint decrypts, so it is never open.
func Handler(c *Codec, o ServerOptions) http.Handler {
	inner := converter.NewPayloadCodecHTTPHandler(c)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && slices.Contains(o.Origins, origin)
		if allowed {
			setCORS(w.Header(), origin)
		}
		if r.Method == http.MethodOptions {
			if !allowed {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		pathToken, op, ok := splitPath(r.URL.Path)
		if !ok || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if !o.authorized(pathToken, r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="payouts-codec"`)
			http.Error(w, "missing or invalid codec token", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequest)
		r.URL.Path = "/" + op
		inner.ServeHTTP(w, r)
	})
}

func setCORS(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
	h.Set("Access-Control-Max-Age", "600")
}

// splitPath reads "/decode" or "/<token>/decode".
func splitPath(p string) (token, op string, ok bool) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	op = parts[len(parts)-1]
	if op != "encode" && op != "decode" || len(parts) > 2 {
		return "", "", false
	}
	if len(parts) == 2 {
		token = parts[0]
	}
	return token, op, true
}

// authorized compares in constant time against every token, so timing
// tells nothing about which one nearly matched.
func (o ServerOptions) authorized(pathToken, header string) bool {
	if pathToken != "" {
		return o.PathToken != "" && equal(pathToken, o.PathToken)
	}
	bearer, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || bearer == "" {
		return false
	}
	found := false
	for _, t := range o.Tokens {
		if t != "" && equal(bearer, t) {
			found = true
		}
	}
	return found
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
