package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/heleket-payouts/payouts/access"
)

type ctxKey int

const actorKey ctxKey = iota

// requireAdmin resolves the bearer token to its admin. Only digests are
// kept and compared (in constant time, against every credential), so
// neither memory nor timing tells which token nearly matched. What the
// admin may do is the use cases' question; here a valid token is enough.
func (s *server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred, ok := s.credential(r.Header.Get("Authorization"))
		if !ok {
			s.log.WarnContext(r.Context(), "admin route refused: missing or invalid bearer token", "path", r.URL.Path)
			unauthorized(w, "missing or invalid bearer token")
			return
		}
		if cred.Expired(time.Now()) {
			s.log.WarnContext(r.Context(), "admin route refused: token expired", "path", r.URL.Path,
				"admin", cred.Actor.Name, "expired_at", cred.Expires)
			unauthorized(w, "the bearer token expired at "+cred.Expires.UTC().Format(time.RFC3339)+"; ask for a new one")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey, cred.Actor)))
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="payouts"`)
	writeError(w, http.StatusUnauthorized, msg, nil)
}

func (s *server) credential(header string) (access.Credential, bool) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return access.Credential{}, false
	}
	digest := sha256.Sum256([]byte(token))
	var (
		found access.Credential
		match bool
	)
	for _, c := range s.AdminTokens {
		if subtle.ConstantTimeCompare(digest[:], c.Digest[:]) == 1 {
			found, match = c, true
		}
	}
	return found, match
}

// actor is the authenticated admin: its name becomes requested_by and the
// audit rows' actor, its roles decide what the use cases let it do.
func actor(ctx context.Context) access.Actor {
	a, _ := ctx.Value(actorKey).(access.Actor)
	return a
}
