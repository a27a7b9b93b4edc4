package payout

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`)

func TestDeriveIDDeterministic(t *testing.T) {
	a := DeriveID("", "api", "client-1", "key-1")
	assert.Equal(t, a, DeriveID("", "api", "client-1", "key-1"))
	assert.Len(t, a, IDLength)
	assert.Regexp(t, idPattern, a)
}

func TestDeriveIDShape(t *testing.T) {
	inputs := [][3]string{
		{"", "", ""},
		{"api", "c", "k"},
		{"campaign", "client.with-dots_", "key with spaces / and ~!@#"},
		{"scheduled", "x", string(make([]byte, 200))},
	}
	for _, in := range inputs {
		id := DeriveID("", in[0], in[1], in[2])
		assert.Regexp(t, idPattern, id, "%q", in)
	}
}

func TestDeriveIDDiffers(t *testing.T) {
	base := DeriveID("", "api", "client", "key")
	tests := []struct {
		name               string
		scope, client, key string
	}{
		{"scope", "bonus", "client", "key"},
		{"client", "api", "client2", "key"},
		{"key", "api", "client", "key2"},
		{"key case", "api", "client", "KEY"},
		{"swapped client and key", "api", "key", "client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotEqual(t, base, DeriveID("", tt.scope, tt.client, tt.key))
		})
	}
}

func TestDeriveIDNoSeparatorCollision(t *testing.T) {
	pairs := []struct{ a, b [3]string }{
		{[3]string{"s", "a", "bc"}, [3]string{"s", "ab", "c"}},
		{[3]string{"a", "bc", "k"}, [3]string{"ab", "c", "k"}},
		{[3]string{"", "ab", "c"}, [3]string{"a", "b", "c"}},
		{[3]string{"s", "c", ""}, [3]string{"s", "", "c"}},
	}
	for _, p := range pairs {
		assert.NotEqual(t, DeriveID("", p.a[0], p.a[1], p.a[2]), DeriveID("", p.b[0], p.b[1], p.b[2]), "%q vs %q", p.a, p.b)
	}
}

func TestWorkflowID(t *testing.T) {
	id := DeriveID("", "api", "c", "k")
	assert.Equal(t, "payout-"+id, WorkflowID(id))
	assert.Equal(t, WorkflowID(id), WorkflowID(DeriveID("", "api", "c", "k")))
	assert.NotEqual(t, WorkflowID(id), WorkflowID(DeriveID("", "api", "c", "k2")))
}

// Two installations (two databases: staging and production, a laptop and a
// shared Heleket merchant) give different IDs for the same request; one
// installation always gives the same.
func TestDeriveIDPerInstallation(t *testing.T) {
	a := DeriveID("inst-aaaaaaaaaaaaaaaa", "api", "42", "first-payout")
	b := DeriveID("inst-bbbbbbbbbbbbbbbb", "api", "42", "first-payout")
	assert.NotEqual(t, a, b)
	assert.Equal(t, a, DeriveID("inst-aaaaaaaaaaaaaaaa", "api", "42", "first-payout"))
	assert.NotEqual(t, DeriveID("", "api", "42", "first-payout"), a, "installation IDs never coincide with legacy ones")
	assert.Regexp(t, idPattern, a)
}

func TestValidInstallation(t *testing.T) {
	assert.True(t, ValidInstallation("0123456789abcdef0123456789abcdef"))
	assert.False(t, ValidInstallation(""))
	assert.False(t, ValidInstallation("short"))
	assert.False(t, ValidInstallation("has space in it 0123456789"))
}

// Payouts recorded before installations existed keep their IDs: their
// workflows, Heleket order_ids and histories name them.
func TestDeriveIDLegacyUnchanged(t *testing.T) {
	assert.Equal(t, "po3M7NRUX8G9ty2o4Ldx3ZKrlNU63kBv", DeriveID("", "api", "42", "first-payout"))
}
