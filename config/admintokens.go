package config

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/heleket-payouts/payouts/access"
)

// MinAdminTokenLength is the shortest token ADMIN_TOKENS accepts.
const MinAdminTokenLength = 16

// AdminToken is one admin's entry from ADMIN_TOKENS or ADMIN_TOKENS_FILE.
type AdminToken struct {
	Name  string
	Roles []access.Role // never empty; an entry without roles has every role (admin)
	// Token is the token itself, known only for ADMIN_TOKENS entries (the
	// codec endpoint and the log masker need it); a file entry has only
	// its digest.
	Token   string
	Digest  [32]byte
	Expires time.Time // zero: never; only file entries expire
	// Source says where the entry is, for errors and logs:
	// "ADMIN_TOKENS" or "ADMIN_TOKENS_FILE line 3".
	Source string
}

// Credential is the entry as the API keeps it.
func (t AdminToken) Credential() access.Credential {
	return access.Credential{Actor: access.NewActor(t.Name, t.Roles), Digest: t.Digest, Expires: t.Expires}
}

// Credentials are the entries as the API keeps them.
func Credentials(tokens []AdminToken) []access.Credential {
	out := make([]access.Credential, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, t.Credential())
	}
	return out
}

// ParseAdminTokens reads ADMIN_TOKENS: comma-separated "name:token"
// (every role) or "name:token:roles", roles joined by "+"
// ("alice:<token>:initiator+approver"). Tokens are at least 16 characters
// and contain neither ":" nor ",". Names end up in the audit trail as the
// actor. Errors never repeat a token.
func ParseAdminTokens(spec string) ([]AdminToken, error) {
	var out []AdminToken
	seen := map[string]bool{}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		t, err := parseTokenEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("ADMIN_TOKENS entry %d: %w", i+1, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("ADMIN_TOKENS: admin %q listed twice", t.Name)
		}
		seen[t.Name] = true
		out = append(out, t)
	}
	return out, nil
}

func parseTokenEntry(entry string) (AdminToken, error) {
	const want = "must be name:token or name:token:roles with a token of at least 16 characters"
	parts := strings.Split(entry, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return AdminToken{}, fmt.Errorf("%s (a token cannot contain \":\")", want)
	}
	name, token := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	if name == "" || len(token) < MinAdminTokenLength {
		return AdminToken{}, fmt.Errorf("%s", want)
	}
	roles := []access.Role{access.Admin}
	if len(parts) == 3 {
		var err error
		if roles, err = access.ParseRoles(parts[2]); err != nil {
			return AdminToken{}, fmt.Errorf("admin %q: %w", name, err)
		}
	}
	return AdminToken{Name: name, Roles: roles, Token: token, Digest: access.Digest(token), Source: "ADMIN_TOKENS"}, nil
}

// ReadAdminTokensFile reads ADMIN_TOKENS_FILE; see ParseAdminTokensFile.
func ReadAdminTokensFile(path string) ([]AdminToken, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ADMIN_TOKENS_FILE: %w", err)
	}
	defer f.Close()
	tokens, err := ParseAdminTokensFile(f)
	if err != nil {
		return nil, fmt.Errorf("ADMIN_TOKENS_FILE %s: %w", path, err)
	}
	return tokens, nil
}

// ParseAdminTokensFile reads the lines of an admin tokens file:
//
//	# name  roles               sha256 of the token (64 hex digits)  expires (optional)
//	alice   initiator+approver  5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8  2027-03-01
//
// Fields are separated by spaces or tabs; "#" starts a comment, blank lines
// are skipped. The expiry is a date (the token stops working at 00:00 UTC
// of that day) or an RFC 3339 time. `payouts admin-token` prints such a
// line. The file holds digests only, so reading it gives no token away.
func ParseAdminTokensFile(r io.Reader) ([]AdminToken, error) {
	var out []AdminToken
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		t, err := parseTokenLine(fields)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if first, dup := seen[t.Name]; dup {
			return nil, fmt.Errorf("line %d: admin %q is already on line %d", n, t.Name, first)
		}
		seen[t.Name] = n
		t.Source = fmt.Sprintf("ADMIN_TOKENS_FILE line %d", n)
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return out, nil
}

func parseTokenLine(fields []string) (AdminToken, error) {
	if len(fields) < 3 || len(fields) > 4 {
		return AdminToken{}, fmt.Errorf("want: name roles sha256 [expires], got %d fields", len(fields))
	}
	t := AdminToken{Name: fields[0]}
	if strings.ContainsAny(t.Name, ":,") {
		return AdminToken{}, fmt.Errorf("admin name %q must not contain \":\" or \",\"", t.Name)
	}
	var err error
	if t.Roles, err = access.ParseRoles(fields[1]); err != nil {
		return AdminToken{}, fmt.Errorf("admin %q: %w", t.Name, err)
	}
	digest, err := hex.DecodeString(fields[2])
	if err != nil || len(digest) != len(t.Digest) {
		// Never echo the field: it may be the token itself, pasted by mistake.
		return AdminToken{}, fmt.Errorf("admin %q: the third field must be the token's SHA-256 as 64 hex digits "+
			"(payouts admin-token prints it), never the token", t.Name)
	}
	copy(t.Digest[:], digest)
	if len(fields) == 4 {
		if t.Expires, err = parseExpiry(fields[3]); err != nil {
			return AdminToken{}, fmt.Errorf("admin %q: %w", t.Name, err)
		}
	}
	return t, nil
}

// parseExpiry reads a date (00:00 UTC that day) or an RFC 3339 time.
func parseExpiry(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("expiry %q is neither a date (2027-03-01) nor an RFC 3339 time (2027-03-01T12:00:00Z)", s)
}

// AdminTokenLine is the ADMIN_TOKENS_FILE line of a token.
func AdminTokenLine(name string, roles []access.Role, token string, expires time.Time) string {
	d := access.Digest(token)
	line := name + " " + access.FormatRoles(roles) + " " + hex.EncodeToString(d[:])
	if !expires.IsZero() {
		line += " " + expires.UTC().Format(time.RFC3339)
	}
	return line
}

// AdminTokenSet is every admin token: ADMIN_TOKENS, then ADMIN_TOKENS_FILE.
// A name is one admin in the audit trail, so it appears once across both;
// a token opens one name, so no two entries share one.
func (c Config) AdminTokenSet() ([]AdminToken, error) {
	tokens, err := ParseAdminTokens(c.AdminTokens)
	if err != nil {
		return nil, err
	}
	if c.AdminTokensFile != "" {
		file, err := ReadAdminTokensFile(c.AdminTokensFile)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, file...)
	}
	names := map[string]string{}
	digests := map[[32]byte]string{}
	for _, t := range tokens {
		if where, dup := names[t.Name]; dup {
			return nil, fmt.Errorf("admin %q is in both %s and %s; names are unique", t.Name, where, t.Source)
		}
		names[t.Name] = t.Source
		if other, dup := digests[t.Digest]; dup {
			return nil, fmt.Errorf("admins %q and %q have the same token (%s); every admin needs its own", other, t.Name, t.Source)
		}
		digests[t.Digest] = t.Name
	}
	return tokens, nil
}
