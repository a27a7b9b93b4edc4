package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/store"
)

const (
	sessionCookie = "console_session"
	// signInCookie carries the sign-in form's CSRF token: there is no
	// session to keep it in yet.
	signInCookie = "console_signin"
	csrfField    = "csrf"
	tokenField   = "token"
	cookiePath   = "/console/"
)

type ctxKey int

const sessionKey ctxKey = iota

// session is the signed-in admin of a request.
type session struct {
	Actor    access.Actor
	CSRF     string
	idDigest []byte
}

func sessionOf(ctx context.Context) session {
	s, _ := ctx.Value(sessionKey).(session)
	return s
}

// randomToken is 128 random bits (crypto/rand.Text).
func randomToken() string { return rand.Text() }

func digest(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func (c *console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	ck := &http.Cookie{Name: name, Value: value, Path: cookiePath, HttpOnly: true, Secure: c.secure(r),
		SameSite: http.SameSiteStrictMode}
	if expires.IsZero() {
		ck.MaxAge = -1
	} else {
		ck.Expires = expires
	}
	http.SetCookie(w, ck)
}

// sameOrigin refuses a change sent from another site, before any handler:
// browsers say where a request comes from (Sec-Fetch-Site, Origin), and
// the CSRF token is the check for those that do not.
func (c *console) sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
			c.refuse(w, r, http.StatusForbidden, "a change must come from the console itself")
			return
		}
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Host != c.host(r) {
				c.refuse(w, r, http.StatusForbidden, "a change must come from the console itself")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// host is the host the browser asked for: the request's, or the one a
// trusted proxy forwarded it for.
func (c *console) host(r *http.Request) string {
	if h := r.Header.Get("X-Forwarded-Host"); h != "" && c.fromTrustedProxy(r) {
		return h
	}
	return r.Host
}

func (c *console) signInPage(w http.ResponseWriter, r *http.Request) {
	c.showSignIn(w, r, http.StatusOK, "")
}

func (c *console) showSignIn(w http.ResponseWriter, r *http.Request, status int, problem string) {
	token := randomToken()
	c.setCookie(w, r, signInCookie, token, c.now().Add(time.Hour))
	c.render(w, r, status, "signin", page{Title: "Sign in", CSRF: token, Error: problem})
}

// signIn turns a pasted admin token into a session: a random id in the
// cookie, its digest and the token's in the table, never the token.
func (c *console) signIn(w http.ResponseWriter, r *http.Request) {
	pre, err := r.Cookie(signInCookie)
	if err != nil || !sameToken(pre.Value, r.PostFormValue(csrfField)) {
		c.log.WarnContext(r.Context(), "console sign-in refused: CSRF token missing or wrong")
		c.showSignIn(w, r, http.StatusForbidden, "The form expired; sign in again.")
		return
	}
	src := httpapi.SourceAddr(r, c.TrustedProxies).String()
	if c.signIns.blocked(src, c.now()) {
		c.log.WarnContext(r.Context(), "console sign-in refused: too many failures from the source", "source", src)
		c.showSignIn(w, r, http.StatusTooManyRequests, "Too many failed sign-ins from this address; wait a few minutes.")
		return
	}
	cred, ok := c.credential(r.PostFormValue(tokenField))
	if !ok {
		c.signIns.fail(src, c.now())
		c.log.WarnContext(r.Context(), "console sign-in refused: unknown or expired token", "source", src)
		c.showSignIn(w, r, http.StatusUnauthorized, "That token is not valid (unknown or expired).")
		return
	}
	id := randomToken()
	expires := c.now().Add(c.SessionTTL)
	if !cred.Expires.IsZero() && cred.Expires.Before(expires) {
		expires = cred.Expires
	}
	err = c.Store.CreateConsoleSession(r.Context(), store.ConsoleSession{IDDigest: digest(id),
		TokenDigest: cred.Digest[:], Admin: cred.Actor.Name, CSRF: randomToken(), ExpiresAt: expires})
	if err != nil {
		c.fail(w, r, "sign in", err)
		return
	}
	c.setCookie(w, r, signInCookie, "", time.Time{})
	c.setCookie(w, r, sessionCookie, id, expires)
	c.log.InfoContext(r.Context(), "console sign-in", "admin", cred.Actor.Name)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// credential finds a token's credential as the API does: digests compared
// in constant time against every credential.
func (c *console) credential(token string) (access.Credential, bool) {
	if token == "" {
		return access.Credential{}, false
	}
	d := access.Digest(token)
	return c.credentialByDigest(d[:])
}

func (c *console) credentialByDigest(d []byte) (access.Credential, bool) {
	var found access.Credential
	match := false
	for _, cr := range c.AdminTokens {
		if subtle.ConstantTimeCompare(d, cr.Digest[:]) == 1 {
			found, match = cr, true
		}
	}
	if !match || found.Expired(c.now()) {
		return access.Credential{}, false
	}
	return found, true
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// requireSession resolves the cookie to a live session whose token is
// still configured; a change must also carry the session's CSRF token.
// Without either, a read goes to the sign-in page and a change is refused
// before anything runs.
func (c *console) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.load(r)
		if err != nil && !errors.Is(err, errNoSession) {
			c.fail(w, r, "read the session", err)
			return
		}
		if err != nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
				return
			}
			c.refuse(w, r, http.StatusUnauthorized, "You are signed out; sign in again.")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameToken(s.CSRF, r.PostFormValue(csrfField)) {
			c.log.WarnContext(r.Context(), "console change refused: CSRF token missing or wrong", "admin", s.Actor.Name,
				"path", r.URL.Path)
			c.refuse(w, r, http.StatusForbidden, "The form is not from this session (CSRF token missing or wrong); nothing was changed.")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey, s)))
	})
}

var errNoSession = errors.New("no session")

func (c *console) load(r *http.Request) (session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return session{}, errNoSession
	}
	d := digest(ck.Value)
	cs, err := c.Store.ConsoleSessionByDigest(r.Context(), d)
	if errors.Is(err, store.ErrNotFound) {
		return session{}, errNoSession
	}
	if err != nil {
		return session{}, err
	}
	cred, ok := c.credentialByDigest(cs.TokenDigest)
	if !ok {
		return session{}, errNoSession
	}
	return session{Actor: cred.Actor, CSRF: cs.CSRF, idDigest: d}, nil
}

func (c *console) signOut(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r.Context())
	if err := c.Store.DeleteConsoleSession(r.Context(), s.idDigest); err != nil {
		c.fail(w, r, "sign out", err)
		return
	}
	c.setCookie(w, r, sessionCookie, "", time.Time{})
	c.log.InfoContext(r.Context(), "console sign-out", "admin", s.Actor.Name)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}
