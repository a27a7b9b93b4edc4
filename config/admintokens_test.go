package config

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/access"
)

func digestHex(token string) string {
	d := access.Digest(token)
	return hex.EncodeToString(d[:])
}

func TestAdminTokensWithAndWithoutRoles(t *testing.T) {
	tokens, err := ParseAdminTokens("alice:alice-token-0123456789, bob:bob-token-0123456789:initiator+approver,vera:vera-token-0123456789:viewer")
	require.NoError(t, err)
	require.Len(t, tokens, 3)
	assert.Equal(t, AdminToken{Name: "alice", Roles: []access.Role{access.Admin}, Token: "alice-token-0123456789",
		Digest: access.Digest("alice-token-0123456789"), Source: "ADMIN_TOKENS"}, tokens[0], "no roles: every role, as before")
	assert.Equal(t, []access.Role{access.Initiator, access.Approver}, tokens[1].Roles)
	assert.Equal(t, access.Actor{Name: "vera", Roles: []access.Role{access.Viewer}}, tokens[2].Credential().Actor)
}

func TestBadAdminTokensSayWhichEntryAndNeverTheToken(t *testing.T) {
	for spec, want := range map[string]string{
		"alice:short":                                               "entry 1: must be name:token",
		"alice:alice-token-0123456789:aprover":                      `entry 1: admin "alice": unknown role "aprover"`,
		"a:alice-token-0123456789,b:bob-token-0123456789:":          `entry 2: admin "b": no roles given`,
		"alice:alice:token-0123456789:viewer":                       `entry 1: must be name:token or name:token:roles`,
		"alice:alice-token-0123456789,alice:alice-token-9876543210": `admin "alice" listed twice`,
		":alice-token-0123456789":                                   "entry 1: must be name:token",
	} {
		_, err := ParseAdminTokens(spec)
		require.Error(t, err, spec)
		assert.Contains(t, err.Error(), want, spec)
		assert.NotContains(t, err.Error(), "token-0123456789", "the token is never in an error")
	}
}

func TestAdminTokensFile(t *testing.T) {
	text := `# admins of the payouts service
# name  roles  sha256  expires

carol  approver            ` + digestHex("carol-token-0123456789") + `
dave   operator+initiator  ` + digestHex("dave-token-0123456789") + `  2027-03-01   # quarterly rotation
erin	viewer	` + strings.ToUpper(digestHex("erin-token-0123456789")) + `	2027-03-01T12:30:00+02:00
`
	tokens, err := ParseAdminTokensFile(strings.NewReader(text))
	require.NoError(t, err)
	require.Len(t, tokens, 3)
	assert.Equal(t, AdminToken{Name: "carol", Roles: []access.Role{access.Approver}, Digest: access.Digest("carol-token-0123456789"),
		Source: "ADMIN_TOKENS_FILE line 4"}, tokens[0])
	assert.Equal(t, []access.Role{access.Operator, access.Initiator}, tokens[1].Roles)
	assert.Equal(t, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), tokens[1].Expires, "a date expires at 00:00 UTC")
	assert.True(t, time.Date(2027, 3, 1, 10, 30, 0, 0, time.UTC).Equal(tokens[2].Expires))
	assert.Empty(t, tokens[2].Token, "a file entry never has the token")
}

func TestBadAdminTokensFileLinesFailWithTheirNumber(t *testing.T) {
	good := "alice viewer " + digestHex("alice-token-0123456789") + "\n"
	for text, want := range map[string]string{
		good + "bob viewer":                                         "line 2: want: name roles sha256 [expires], got 2 fields",
		good + "\n# x\nbob viewer bob-token-0123456789":             `line 4: admin "bob": the third field must be the token's SHA-256`,
		good + "bob aprover " + digestHex("b") + "\n":               `line 2: admin "bob": unknown role "aprover"`,
		good + "bob viewer " + digestHex("b") + " next-week":        `line 2: admin "bob": expiry "next-week" is neither`,
		good + "alice admin " + digestHex("b"):                      `line 2: admin "alice" is already on line 1`,
		good + "b:ob viewer " + digestHex("b"):                      `line 2: admin name "b:ob"`,
		good + "bob viewer " + digestHex("b") + " 2027-03-01 extra": "line 2: want: name roles sha256 [expires], got 5 fields",
		"bob viewer " + digestHex("b")[:63]:                         "line 1: admin \"bob\": the third field",
	} {
		_, err := ParseAdminTokensFile(strings.NewReader(text))
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want)
		assert.NotContains(t, err.Error(), "bob-token-0123456789", "a pasted token is never repeated")
	}
}

func TestAdminTokenLineReadsBack(t *testing.T) {
	exp := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	line := AdminTokenLine("frank", []access.Role{access.Initiator, access.Approver}, "frank-token-0123456789", exp)
	assert.Equal(t, "frank initiator+approver "+digestHex("frank-token-0123456789")+" 2027-03-01T00:00:00Z", line)
	tokens, err := ParseAdminTokensFile(strings.NewReader(line))
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	assert.Equal(t, access.Digest("frank-token-0123456789"), tokens[0].Digest)
	assert.Equal(t, exp, tokens[0].Expires)
	assert.NotContains(t, line, "frank-token-0123456789")
}

func TestAdminTokenSetJoinsEnvironmentAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin-tokens")
	write := func(text string) {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	}
	write("carol approver " + digestHex("carol-token-0123456789") + " 2020-01-01\n")
	c := Config{AdminTokens: "alice:alice-token-0123456789", AdminTokensFile: path}
	tokens, err := c.AdminTokenSet()
	require.NoError(t, err)
	require.Len(t, tokens, 2)
	assert.Equal(t, "alice", tokens[0].Name)
	assert.Equal(t, "carol", tokens[1].Name)
	assert.True(t, tokens[1].Credential().Expired(time.Now()), "an expired entry is loaded, so a request with it is told it expired")
	t.Setenv("ADMIN_TOKENS", c.AdminTokens)
	t.Setenv("ADMIN_TOKENS_FILE", path)
	_, err = Load()
	require.NoError(t, err, "config loading accepts the pair")

	write("alice approver " + digestHex("other-token-0123456789") + "\n")
	_, err = c.AdminTokenSet()
	assert.ErrorContains(t, err, `admin "alice" is in both ADMIN_TOKENS and ADMIN_TOKENS_FILE line 1`)

	write("carol approver " + digestHex("alice-token-0123456789") + "\n")
	_, err = c.AdminTokenSet()
	assert.ErrorContains(t, err, `admins "alice" and "carol" have the same token`)

	write("carol approver\n")
	_, err = Load()
	assert.ErrorContains(t, err, "ADMIN_TOKENS_FILE "+path+": line 1:", "config loading fails on a bad line")

	t.Setenv("ADMIN_TOKENS_FILE", filepath.Join(t.TempDir(), "missing"))
	_, err = Load()
	assert.ErrorContains(t, err, "ADMIN_TOKENS_FILE")
}
