package httpapi

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
)

type ctxKey int

const adminKey ctxKey = iota

// requireAdmin checks the bearer token against every configured token in
// constant time, so timing tells nothing about which one nearly matched.
func (s *server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := s.admin(r.Header.Get("Authorization"))
		if !ok {
			s.log.WarnContext(r.Context(), "admin route refused: missing or invalid bearer token", "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="payouts"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token", nil)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), adminKey, name)))
	})
}

func (s *server) admin(header string) (string, bool) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return "", false
	}
	found := ""
	for name, want := range s.AdminTokens {
		if subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1 {
			found = name
		}
	}
	return found, found != ""
}

// adminName is the authenticated admin; it becomes requested_by.
func adminName(ctx context.Context) string {
	name, _ := ctx.Value(adminKey).(string)
	return name
}
