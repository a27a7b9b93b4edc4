package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeSecret writes a secret file as Docker mounts it: one line.
func writeSecret(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// unset clears variables for the test and restores them after it.
func unset(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		t.Setenv(n, "")
		require.NoError(t, os.Unsetenv(n))
	}
}

func TestEverySecretSettingReadsItsFile(t *testing.T) {
	for _, name := range SecretSettings(Config{}) {
		t.Run(name, func(t *testing.T) {
			unset(t, name)
			value := "file-value-of-" + strings.ToLower(name)
			if name == "DATABASE_URL" || name == "ALERT_WEBHOOK_URL" {
				value = "https://user:pw@example.com/" + strings.ToLower(name)
			}
			t.Setenv(name+"_FILE", writeSecret(t, value+"\n"))
			var c Config
			require.NoError(t, ReadSecretFiles(&c))
			assert.Contains(t, fieldValues(c), value, "the trailing newline is trimmed and the value lands in its field")
		})
	}
}

func fieldValues(c Config) []string {
	return []string{c.HeleketAPIKey, c.HeleketWebhookSecret, c.DatabaseURL, c.PayloadKeys, c.CodecToken, c.AlertWebhookURL}
}

func TestSecretFileReplacesTheDefaultAndTrimsOnlyLineBreaks(t *testing.T) {
	unset(t, "DATABASE_URL", "HELEKET_API_KEY")
	t.Setenv("DATABASE_URL_FILE", writeSecret(t, "postgres://payouts:s3cret@db:5432/payouts\r\n\n"))
	t.Setenv("HELEKET_API_KEY_FILE", writeSecret(t, " key with spaces "))
	c, err := Load()
	require.NoError(t, err)
	assert.Equal(t, "postgres://payouts:s3cret@db:5432/payouts", c.DatabaseURL)
	assert.Equal(t, " key with spaces ", c.HeleketAPIKey, "spaces may belong to the secret")
	assert.Contains(t, c.Secrets(), "s3cret", "a password from a file is masked in logs like one from the environment")
}

func TestSecretInBothPlacesIsAStartupError(t *testing.T) {
	t.Setenv("HELEKET_API_KEY", "from-env-0123456789")
	t.Setenv("HELEKET_API_KEY_FILE", writeSecret(t, "from-file-0123456789\n"))
	_, err := Load()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HELEKET_API_KEY and HELEKET_API_KEY_FILE are both set")
	assert.NotContains(t, err.Error(), "from-env")
	assert.NotContains(t, err.Error(), "from-file")
}

func TestEmptyVariableBesideItsFileIsNoConflict(t *testing.T) {
	// docker-compose's ${CODEC_TOKEN:-} sets the variable to "".
	t.Setenv("CODEC_TOKEN", "")
	t.Setenv("CODEC_TOKEN_FILE", writeSecret(t, "codec-token-0123456789\n"))
	c, err := Load()
	require.NoError(t, err)
	assert.Equal(t, "codec-token-0123456789", c.CodecToken)
}

func TestUnreadableSecretFileNamesTheSettingNotTheContent(t *testing.T) {
	unset(t, "HELEKET_WEBHOOK_SECRET")
	missing := filepath.Join(t.TempDir(), "absent")
	t.Setenv("HELEKET_WEBHOOK_SECRET_FILE", missing)
	_, err := Load()
	require.Error(t, err)
	assert.Equal(t, "config: HELEKET_WEBHOOK_SECRET_FILE: cannot read "+missing+": no such file or directory", err.Error())

	dir := t.TempDir()
	t.Setenv("HELEKET_WEBHOOK_SECRET_FILE", dir)
	_, err = Load()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HELEKET_WEBHOOK_SECRET_FILE: cannot read "+dir)
}

func TestSecretFromAFileIsCheckedLikeTheVariable(t *testing.T) {
	unset(t, "CODEC_TOKEN")
	t.Setenv("CODEC_TOKEN_FILE", writeSecret(t, "short\n"))
	_, err := Load()
	require.Error(t, err)
	assert.Equal(t, "CODEC_TOKEN: must be at least 16 characters", err.Error())
}

func TestReadSecretFilesRefusesWhatItCannotFill(t *testing.T) {
	var c Config
	require.Error(t, ReadSecretFiles(c), "a struct value cannot be filled")
	bad := struct {
		N int `envconfig:"N" secret:"file"`
	}{}
	require.Error(t, ReadSecretFiles(&bad), "only string settings hold secrets")
}

// secretName is how a setting's name says it holds a secret.
var secretName = regexp.MustCompile(`(_KEY|_KEYS|SECRET|TOKEN|TOKENS|PASSWORD)$`)

// urlSecrets are the settings whose URL carries a credential.
var urlSecrets = []string{"DATABASE_URL", "ALERT_WEBHOOK_URL"}

func TestEverySecretSettingOfTheConfigIsTagged(t *testing.T) {
	all := AllSecretSettings(Config{})
	for _, name := range configNames() {
		if secretName.MatchString(name) {
			assert.Contains(t, all, name, "%s looks secret: tag it secret:\"file\"", name)
		}
	}
	for _, name := range urlSecrets {
		assert.Contains(t, all, name)
	}
	assert.Equal(t, []string{"ADMIN_TOKENS"}, subtract(all, SecretSettings(Config{})),
		"only ADMIN_TOKENS has its own file form (ADMIN_TOKENS_FILE, digests)")
}

// The README's settings table documents every setting; each one whose name
// or kind says secret must be readable from NAME_FILE, and the README's
// list of such settings must be the code's.
func TestEverySecretSettingInTheREADMESupportsAFile(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	readme := string(raw)
	row := regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)`")
	fromFile := SecretSettings(Config{})
	var documented []string
	for _, m := range row.FindAllStringSubmatch(readme, -1) {
		name := m[1]
		if secretName.MatchString(name) || slices.Contains(urlSecrets, name) {
			documented = append(documented, name)
			if name != "ADMIN_TOKENS" {
				assert.Contains(t, fromFile, name, "README documents secret %s: it must read %s_FILE", name, name)
			}
		}
	}
	assert.Subset(t, documented, fromFile, "every secret setting is in the README's tables")

	section := readmeSection(t, readme, "## Secrets from files")
	for _, name := range fromFile {
		assert.Contains(t, section, "`"+name+"_FILE`", "the README's secrets section lists %s_FILE", name)
	}
}

func readmeSection(t *testing.T, readme, heading string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "\n"+heading+"\n")
	require.True(t, ok, "README has a section %q", heading)
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

// configNames are the variables Config reads.
func configNames() []string {
	var out []string
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if n := t.Field(i).Tag.Get("envconfig"); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func subtract(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
