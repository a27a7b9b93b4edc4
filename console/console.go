// Package console is the admin console: server-rendered HTML under
// /console/, signed in with an admin token once. Every page reads through
// the store's read functions the API uses and changes things only through
// the use cases (package usecase), with the same roles and controls as the
// API; it imports no Temporal package. Assets are embedded; the only
// script is console.js (plain JS, no library), and every read works
// without it.
package console

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// DefaultSessionTTL is how long a sign-in lasts unless Deps says otherwise.
const DefaultSessionTTL = 8 * time.Hour

// Deps is what the console is made of: the API's use cases, store and
// credentials.
type Deps struct {
	Service     *usecase.Service
	Store       *store.Store
	AdminTokens []access.Credential
	// TemporalUIURL is the Temporal UI's base URL for workflow links
	// (TEMPORAL_UI_URL); Namespace the payouts' namespace. Empty UI URL:
	// no links.
	TemporalUIURL string
	Namespace     string
	// TrustedProxies: a request from one of these whose X-Forwarded-Proto
	// is https was https, and its cookies are Secure (TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	SessionTTL     time.Duration
	Logger         *slog.Logger
}

type console struct {
	Deps
	log     *slog.Logger
	pages   map[string]*template.Template
	now     func() time.Time
	signIns *throttle
}

// New returns the console's router, to mount at /console.
func New(d Deps) (http.Handler, error) {
	c := &console{Deps: d, log: d.Logger, now: time.Now, signIns: newThrottle()}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = pages
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Use(securityHeaders, c.sameOrigin)
	r.Handle("/static/*", http.StripPrefix("/console/static/", staticHandler(static)))
	r.Get("/signin", c.signInPage)
	r.Post("/signin", c.signIn)
	r.Group(func(r chi.Router) {
		r.Use(c.requireSession)
		r.Get("/", c.home)
		r.Post("/signout", c.signOut)
		c.clientRoutes(r)
		c.payoutRoutes(r)
		c.campaignRoutes(r)
		r.Get("/dashboard", c.dashboard)
		c.scheduleRoutes(r)
		c.reconcileRoutes(r)
		c.eventRoutes(r)
		c.discrepancyRoutes(r)
	})
	return r, nil
}

// csp allows the console's own script, styles and images and nothing
// inline: an injected <script> or on* attribute never runs.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// Not no-referrer: under it browsers send "Origin: null" with a
		// form post, and sameOrigin could not tell the console's own.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func staticHandler(static fs.FS) http.Handler {
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Embedded assets change only with the binary.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

func (c *console) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/console/dashboard", http.StatusSeeOther)
}

// secure says whether the request came over https: directly, or through
// a trusted proxy that says so.
func (c *console) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return r.Header.Get("X-Forwarded-Proto") == "https" && c.fromTrustedProxy(r)
}

func (c *console) fromTrustedProxy(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	for _, p := range c.TrustedProxies {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}
