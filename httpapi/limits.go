package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
)

// routeBodyLimits are the routes allowed more than maxBody, by method and
// exact path. Every other route, including those that take no body at
// all, gets maxBody.
var routeBodyLimits = map[string]int64{
	http.MethodPost + " /payouts/batch": maxBatchBody,
	// The console's campaign upload: the same CSV in a multipart form.
	http.MethodPost + " /console/campaigns": maxBatchBody + 64<<10,
}

// limitBodies bounds every request body before any handler or auth check
// runs: a declared length over the route's limit is refused at once,
// without reading a byte of it, and an undeclared (chunked) body is cut
// off at the limit by http.MaxBytesReader, whose error the handlers turn
// into a 4xx.
func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit, ok := routeBodyLimits[r.Method+" "+r.URL.Path]
		if !ok {
			limit = maxBody
		}
		limitBody(limit, next).ServeHTTP(w, r)
	})
}

// limitBody bounds one handler's request bodies to limit bytes.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			// The unread body makes net/http close the connection after
			// this answer instead of draining megabytes.
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large (max "+byteSize(limit)+")", nil)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// byteSize writes a limit the way the README states it.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkURL refuses a path or query that no route could mean: control
// characters (PostgreSQL cannot even store a NUL, so an id carrying one
// would fail as a 500 deep in a query), invalid UTF-8, and a query string
// with broken escapes, which r.URL.Query() would silently drop, turning
// a mistyped filter into "list everything".
func checkURL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cleanText(r.URL.Path) {
			writeError(w, http.StatusBadRequest, "the URL path contains control characters or invalid UTF-8", nil)
			return
		}
		if msg := queryProblem(r.URL.RawQuery); msg != "" {
			writeError(w, http.StatusBadRequest, msg, nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// queryProblem explains what is wrong with a raw query string, or is empty.
func queryProblem(raw string) string {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return "malformed query string: use name=value pairs joined by '&', percent-encoded"
	}
	for name, vs := range values {
		if !cleanText(name) {
			return "the query string contains control characters or invalid UTF-8"
		}
		for _, v := range vs {
			if !cleanText(v) {
				return "the query string contains control characters or invalid UTF-8"
			}
		}
	}
	return ""
}

// cleanText is valid UTF-8 without control characters.
func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// notFound and methodNotAllowed give unknown routes the same JSON error
// body as every other refusal, instead of chi's plain-text defaults.
func notFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusNotFound, "no such route; see /openapi.yaml", nil)
}

// methodNotAllowed lists the methods the path does have in Allow, as
// chi's default does (a custom handler is not told them).
func methodNotAllowed(mux *chi.Mux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if mux.Match(chi.NewRouteContext(), m, path) {
				allowed = append(allowed, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method not allowed; allowed: "+strings.Join(allowed, ", "), nil)
	}
}
