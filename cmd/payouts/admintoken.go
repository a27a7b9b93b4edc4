package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/config"
)

// tokenBytes of randomness make a 43-character token (base64url): far
// beyond guessing, and free of the ":" and "," ADMIN_TOKENS separates by.
const tokenBytes = 32

func runAdminToken(_ context.Context, args []string) error {
	return adminToken(args, os.Stdout, os.Stderr, time.Now())
}

// adminToken makes a new random token and prints it once, with the
// ADMIN_TOKENS_FILE line that grants it: the file keeps only the digest,
// so this is the only time the token is shown.
func adminToken(args []string, stdout, stderr io.Writer, now time.Time) error {
	fs := flag.NewFlagSet("payouts admin-token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the admin's name, as the audit trail will show it (required)")
	roles := fs.String("roles", "", "roles joined by +: viewer, initiator, approver, operator, admin (required)")
	expires := fs.String("expires", "", "the date the token stops working, 00:00 UTC (2027-03-01), or an RFC 3339 time")
	valid := fs.String("valid", "", "how long the token works from now: days (90d) or a Go duration (12h)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *name == "" || strings.ContainsAny(*name, ":,# \t") {
		return errors.New("-name is required and must not contain spaces, \":\", \",\" or \"#\"")
	}
	parsed, err := access.ParseRoles(*roles)
	if err != nil {
		return fmt.Errorf("-roles: %w", err)
	}
	until, err := expiry(*expires, *valid, now)
	if err != nil {
		return err
	}
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("random token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	line := config.AdminTokenLine(*name, parsed, token, until)
	// Check the line reads back as the file will read it.
	if _, err := config.ParseAdminTokensFile(strings.NewReader(line)); err != nil {
		return fmt.Errorf("the new line does not parse: %w", err)
	}
	fmt.Fprintf(stdout, "token for %s (shown this once; it is stored nowhere, hand it over securely):\n  %s\n\n", *name, token)
	fmt.Fprintf(stdout, "add this line to ADMIN_TOKENS_FILE and restart the api:\n%s\n", line)
	return nil
}

func expiry(expires, valid string, now time.Time) (time.Time, error) {
	switch {
	case expires != "" && valid != "":
		return time.Time{}, errors.New("give -expires or -valid, not both")
	case expires != "":
		t, err := time.Parse(time.DateOnly, expires)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, expires); err != nil {
				return time.Time{}, fmt.Errorf("-expires %q is neither a date (2027-03-01) nor an RFC 3339 time", expires)
			}
		}
		if !t.After(now) {
			return time.Time{}, fmt.Errorf("-expires %s is not in the future", expires)
		}
		return t.UTC(), nil
	case valid != "":
		d, err := validFor(valid)
		if err != nil || d <= 0 {
			return time.Time{}, fmt.Errorf("-valid %q: want a positive number of days (90d) or a Go duration (12h)", valid)
		}
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	return time.Time{}, nil
}

func validFor(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
