package config

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/heleket-payouts/payouts/access"
)

func FuzzParseIPPrefixes(f *testing.F) {
	for _, s := range []string{
		"31.133.220.8", "31.133.220.8, 10.0.0.0/8", "2001:db8::/32,::1", "10.1.2.3/8", "::ffff:1.2.3.4",
		"::ffff:0:0/96", "fe80::1%eth0", "1.2.3.4/33", "", " , ,", "a.b.c.d", "1.2.3.4;DROP", "0.0.0.0/0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseIPPrefixes(spec)
		if err != nil {
			return
		}
		parts := make([]string, 0, len(got))
		for _, p := range got {
			if !p.IsValid() || p.Masked() != p || p.Addr().Is4In6() || p.Addr().Zone() != "" {
				t.Fatalf("accepted %s from %q", p, spec)
			}
			parts = append(parts, p.String())
		}
		again, err := ParseIPPrefixes(strings.Join(parts, ","))
		if err != nil || !samePrefixes(got, again) {
			t.Fatalf("%v does not round-trip: %v %v", got, again, err)
		}
	})
}

func samePrefixes(a, b []netip.Prefix) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzParseAdminTokens(f *testing.F) {
	for _, s := range []string{
		"alice:0123456789abcdef0123", "alice:0123456789abcdef0123, bob:fedcba9876543210fedc", "alice:short",
		"alice:0123456789abcdef0123,alice:0123456789abcdef0124", ":0123456789abcdef0123", "alice",
		"alice:0123456789:abcdef0123", " , ", "", "al ice : 0123456789abcdef0123 ",
		"alice:0123456789abcdef0123:initiator+approver", "alice:0123456789abcdef0123:viewer,bob:fedcba9876543210fedc",
		"alice:0123456789abcdef0123:aprover", "alice:0123456789abcdef0123:", "alice:0123456789abcdef0123:admin+admin",
		"alice:0123456789abcdef0123:viewer:operator",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		tokens, err := ParseAdminTokens(spec)
		if err != nil {
			if strings.Contains(err.Error(), spec) && len(spec) >= 16 {
				t.Fatalf("error repeats the setting, tokens and all: %v", err)
			}
			return
		}
		entries := make([]string, 0, len(tokens))
		for _, tok := range tokens {
			if tok.Name == "" || len(tok.Token) < 16 || tok.Name != strings.TrimSpace(tok.Name) || tok.Token != strings.TrimSpace(tok.Token) ||
				strings.ContainsAny(tok.Name, ":,") || strings.ContainsAny(tok.Token, ":,") || len(tok.Roles) == 0 ||
				tok.Digest != access.Digest(tok.Token) || !tok.Expires.IsZero() {
				t.Fatalf("accepted %+v", tok)
			}
			entries = append(entries, tok.Name+":"+tok.Token+":"+access.FormatRoles(tok.Roles))
		}
		again, err := ParseAdminTokens(strings.Join(entries, ","))
		if err != nil || len(again) != len(tokens) {
			t.Fatalf("does not round-trip: %v", err)
		}
		for i := range tokens {
			if again[i].Name != tokens[i].Name || again[i].Token != tokens[i].Token ||
				access.FormatRoles(again[i].Roles) != access.FormatRoles(tokens[i].Roles) {
				t.Fatalf("%q changed", tokens[i].Name)
			}
		}
	})
}

func FuzzParseAdminTokensFile(f *testing.F) {
	digest := strings.Repeat("ab", 32)
	for _, s := range []string{
		"alice viewer " + digest, "# c\n\nalice admin " + digest + " 2027-03-01 # x", "alice viewer " + digest + " tomorrow",
		"alice viewer+viewer " + digest, "alice viewer 0123456789abcdef0123", "a:b viewer " + digest, "alice viewer\t" + digest,
		"alice viewer " + digest + "\nalice admin " + digest, "alice operator " + digest + " 2027-03-01T12:00:00+02:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tokens, err := ParseAdminTokensFile(strings.NewReader(text))
		if err != nil {
			if !strings.Contains(err.Error(), "line ") {
				t.Fatalf("error without its line: %v", err)
			}
			return
		}
		var lines []string
		for _, tok := range tokens {
			if tok.Name == "" || strings.ContainsAny(tok.Name, ":,# \t") || len(tok.Roles) == 0 || tok.Token != "" {
				t.Fatalf("accepted %+v", tok)
			}
			line := tok.Name + " " + access.FormatRoles(tok.Roles) + " " + hex.EncodeToString(tok.Digest[:])
			if !tok.Expires.IsZero() {
				line += " " + tok.Expires.Format(time.RFC3339Nano)
			}
			lines = append(lines, line)
		}
		again, err := ParseAdminTokensFile(strings.NewReader(strings.Join(lines, "\n")))
		if err != nil || len(again) != len(tokens) {
			t.Fatalf("does not round-trip: %v", err)
		}
		for i := range tokens {
			if again[i].Digest != tokens[i].Digest || !again[i].Expires.Equal(tokens[i].Expires) {
				t.Fatalf("%q changed", tokens[i].Name)
			}
		}
	})
}
