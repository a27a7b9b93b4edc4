package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/config"
)

// newToken runs the subcommand and returns the token and file line it printed.
func newToken(t *testing.T, now time.Time, args ...string) (string, config.AdminToken) {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, adminToken(args, &out, io.Discard, now))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 5, out.String())
	token := strings.TrimSpace(lines[1])
	fileLine := lines[4]
	assert.NotContains(t, fileLine, token, "the file line never holds the token")
	parsed, err := config.ParseAdminTokensFile(strings.NewReader(fileLine))
	require.NoError(t, err)
	require.Len(t, parsed, 1)
	return token, parsed[0]
}

func TestAdminTokenPrintsATokenAndItsFileLine(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	token, entry := newToken(t, now, "-name", "carol", "-roles", "initiator+approver", "-expires", "2027-03-01")
	assert.GreaterOrEqual(t, len(token), 32)
	assert.NotContains(t, token, ":")
	assert.NotContains(t, token, ",")
	assert.Equal(t, "carol", entry.Name)
	assert.Equal(t, []access.Role{access.Initiator, access.Approver}, entry.Roles)
	assert.Equal(t, access.Digest(token), entry.Digest, "the line grants exactly the printed token")
	assert.Equal(t, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), entry.Expires)

	other, _ := newToken(t, now, "-name", "carol", "-roles", "viewer")
	assert.NotEqual(t, token, other, "every run makes a new random token")
}

func TestAdminTokenValidFor(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	_, entry := newToken(t, now, "-name", "dave", "-roles", "operator", "-valid", "90d")
	assert.Equal(t, now.Add(90*24*time.Hour), entry.Expires)
	_, entry = newToken(t, now, "-name", "dave", "-roles", "operator", "-valid", "12h")
	assert.Equal(t, now.Add(12*time.Hour), entry.Expires)
	_, entry = newToken(t, now, "-name", "dave", "-roles", "admin")
	assert.True(t, entry.Expires.IsZero(), "no expiry given: never expires")
}

func TestAdminTokenRefusesBadFlags(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, args := range [][]string{
		{"-roles", "viewer"},
		{"-name", "a b", "-roles", "viewer"},
		{"-name", "carol"},
		{"-name", "carol", "-roles", "aprover"},
		{"-name", "carol", "-roles", "viewer", "-expires", "2026-01-01"},
		{"-name", "carol", "-roles", "viewer", "-expires", "soon"},
		{"-name", "carol", "-roles", "viewer", "-valid", "-3d"},
		{"-name", "carol", "-roles", "viewer", "-valid", "90d", "-expires", "2027-03-01"},
		{"-name", "carol", "-roles", "viewer", "extra"},
	} {
		var out bytes.Buffer
		assert.Error(t, adminToken(args, &out, io.Discard, now), args)
		assert.Empty(t, out.String(), "a refused run prints no token: %v", args)
	}
}
