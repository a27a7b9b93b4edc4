package config

import (
	"net/netip"
	"strings"
	"testing"
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
		for name, token := range tokens {
			if name == "" || len(token) < 16 || name != strings.TrimSpace(name) || token != strings.TrimSpace(token) ||
				strings.ContainsAny(name, ":,") || strings.Contains(token, ",") {
				t.Fatalf("accepted %q:%q", name, token)
			}
			entries = append(entries, name+":"+token)
		}
		again, err := ParseAdminTokens(strings.Join(entries, ","))
		if err != nil || len(again) != len(tokens) {
			t.Fatalf("does not round-trip: %v", err)
		}
		for name, token := range tokens {
			if again[name] != token {
				t.Fatalf("%q changed", name)
			}
		}
	})
}
