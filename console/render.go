package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/payout"
)

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"signin", "error", "client", "payout", "payouts", "approvals", "campaigns", "campaign", "dashboard", "schedules", "reconciliation", "run", "events", "event", "discrepancies"}

// page is what every template gets.
type page struct {
	Title  string
	Nav    string // the menu entry to mark current
	Actor  access.Actor
	CSRF   string
	Error  string
	Notice string
	// Refresh reloads the page every few seconds when scripts are off
	// (a payout that is not final); console.js does it in place otherwise.
	Refresh bool
	Data    any
}

// Can says whether the signed-in admin may act in a role: templates show
// only the buttons it may use (the use cases still decide).
func (p page) Can(role string) bool { return p.Actor.Can(access.Role(role)) }

var funcs = template.FuncMap{
	"mask": payout.MaskAddress,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"whenp": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"errs":  func(f payout.FieldErrors, field string) string { return strings.Join(f[field], "; ") },
	"json":  func(v any) string { return fmt.Sprint(v) },
	"list3": func(a, b, c string) []string { return []string{a, b, c} },
}

func parsePages() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render writes a page; it is rendered to a buffer first so a template
// error is a clean 500, not half a page.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	s := sessionOf(r.Context())
	p.Actor = s.Actor
	if p.CSRF == "" {
		p.CSRF = s.CSRF
	}
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, p); err != nil {
		c.log.ErrorContext(r.Context(), "console: render page", "page", name, "error", err)
		http.Error(w, "could not render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // the browser went away
}

// refuse shows a page that says why nothing was done.
func (c *console) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, r, status, "error", page{Title: http.StatusText(status), Error: msg})
}

// fail shows a use case's error as the API would answer it: the same
// statuses, the same messages.
func (c *console) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	status, msg, _ := explain(err)
	if status >= 500 {
		c.log.ErrorContext(r.Context(), "console: "+what, "error", err)
	}
	if msg == "" {
		msg = "could not " + what
	}
	c.refuse(w, r, status, msg)
}

// explain maps a use case's error to its HTTP status, message and field
// errors: httpapi.Explain, so the console refuses as the API does.
func explain(err error) (int, string, payout.FieldErrors) {
	ref := httpapi.Explain(err)
	return ref.Status, ref.Message, ref.Fields
}

// renderPart writes one named template of a page alone: the part
// console.js swaps in.
func (c *console) renderPart(w http.ResponseWriter, r *http.Request, name, part string, p page) {
	s := sessionOf(r.Context())
	p.Actor, p.CSRF = s.Actor, s.CSRF
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, part, p); err != nil {
		c.log.ErrorContext(r.Context(), "console: render part", "page", name, "part", part, "error", err)
		http.Error(w, "could not render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w) // the browser went away
}
