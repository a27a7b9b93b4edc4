package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket/sandbox"
)

// Compose gives the sandbox the same key file as the worker.
func TestSandboxReadsItsKeyFromAFile(t *testing.T) {
	for _, k := range []string{"HELEKET_API_KEY", "HELEKET_API_KEY_FILE"} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
	set, err := loadSandboxSettings(nil)
	require.NoError(t, err)
	assert.Equal(t, sandbox.DevAPIKey, set.APIKey, "without either, the dev key")

	path := filepath.Join(t.TempDir(), "heleket_api_key")
	require.NoError(t, os.WriteFile(path, []byte("sandbox-key-from-file-0123456789\n"), 0o600))
	t.Setenv("HELEKET_API_KEY_FILE", path)
	set, err = loadSandboxSettings(nil)
	require.NoError(t, err)
	assert.Equal(t, "sandbox-key-from-file-0123456789", set.APIKey)
	assert.Equal(t, "$HELEKET_API_KEY_FILE", keySource())

	t.Setenv("HELEKET_API_KEY", "sandbox-key-from-env-0123456789")
	_, err = loadSandboxSettings(nil)
	require.ErrorContains(t, err, "HELEKET_API_KEY and HELEKET_API_KEY_FILE are both set")
}
