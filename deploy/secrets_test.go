package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/config"
)

const secretsMount = "/run/secrets/"

// setting is the value a service gets for a setting with compose's
// defaults: NAME's own, or the content of the dev secret file NAME_FILE
// names, trimmed as config.ReadSecretFiles trims it.
func setting(t *testing.T, f composeFile, svc, name string) string {
	t.Helper()
	env := f.Services[svc].Environment
	if v, ok := env[name]; ok {
		return resolved(v)
	}
	path, ok := env[name+"_FILE"]
	if !ok {
		return ""
	}
	return strings.TrimRight(secretContent(t, f, svc, path), "\r\n")
}

// secretContent reads the dev default of the secret mounted at path.
func secretContent(t *testing.T, f composeFile, svc, path string) string {
	t.Helper()
	secret, ok := strings.CutPrefix(path, secretsMount)
	require.True(t, ok, "%s: %s is not a compose secret (%s<name>)", svc, path, secretsMount)
	require.Contains(t, f.Services[svc].Secrets, secret, "%s reads %s but does not mount the secret", svc, path)
	require.Contains(t, f.Secrets, secret, "secret %s is declared at the top level", secret)
	raw, err := os.ReadFile(devSecretPath(f.Secrets[secret].File))
	require.NoError(t, err, "the dev default of secret %s exists", secret)
	return string(raw)
}

// devSecretPath is a secret's file with PAYOUTS_SECRETS_DIR unset, from
// this package's directory.
func devSecretPath(file string) string {
	return filepath.Join("..", resolved(file))
}

// secretLooking are names of settings that hold a credential.
var secretLooking = regexp.MustCompile(`(PASSWORD|PWD|SECRET|TOKEN|TOKENS|_KEY|_KEYS)$`)

func TestEverySecretSettingIsGivenAsAFile(t *testing.T) {
	f := loadFile(t)
	secrets := config.AllSecretSettings(config.Config{})
	require.Contains(t, secrets, "DATABASE_URL")
	for name, svc := range f.Services {
		for key, value := range svc.Environment {
			if slices.Contains(secrets, key) || secretLooking.MatchString(key) {
				t.Errorf("%s sets the secret %s in its environment: mount a secret and set %s_FILE", name, key, key)
			}
			if strings.HasSuffix(key, "_FILE") && strings.HasPrefix(value, secretsMount) {
				secretContent(t, f, name, value) // mounted, declared, with a dev default
			}
		}
	}
	// The app's secrets that compose configures at all, each as a file.
	wantFiles := map[string][]string{
		"migrate": {"DATABASE_URL"},
		"api":     {"DATABASE_URL", "HELEKET_API_KEY", "HELEKET_WEBHOOK_SECRET", "PAYLOAD_KEYS", "CODEC_TOKEN", "ADMIN_TOKENS"},
		"worker":  {"DATABASE_URL", "HELEKET_API_KEY", "HELEKET_WEBHOOK_SECRET", "PAYLOAD_KEYS", "ALERT_WEBHOOK_URL"},
		"sandbox": {"HELEKET_API_KEY"},
	}
	for svc, names := range wantFiles {
		for _, n := range names {
			assert.True(t, strings.HasPrefix(f.Services[svc].Environment[n+"_FILE"], secretsMount), "%s reads %s_FILE from a secret", svc, n)
		}
	}
	for svc, key := range map[string]string{"postgres": "POSTGRES_PASSWORD_FILE", "temporal-schema": "SQL_PASSWORD_FILE", "temporal": "POSTGRES_PWD_FILE"} {
		assert.True(t, strings.HasPrefix(f.Services[svc].Environment[key], secretsMount), "%s reads %s", svc, key)
	}
}

func TestDevSecretsAgree(t *testing.T) {
	f := loadFile(t)
	for name, s := range f.Secrets {
		assert.Equal(t, "${PAYOUTS_SECRETS_DIR:-./deploy/secrets/dev}/"+name, s.File, "every secret comes from PAYOUTS_SECRETS_DIR under its own name")
		_, err := os.Stat(devSecretPath(s.File))
		assert.NoError(t, err, "dev default of %s", name)
	}
	password := setting(t, f, "postgres", "PAYOUTS_DB_PASSWORD")
	require.NotEmpty(t, password)
	assert.Contains(t, setting(t, f, "migrate", "DATABASE_URL"), "payouts:"+password+"@postgres:5432/payouts",
		"the app's DATABASE_URL holds the password the init script gives role payouts")
	assert.Equal(t, setting(t, f, "postgres", "TEMPORAL_DB_PASSWORD"), setting(t, f, "temporal", "POSTGRES_PWD"))
	assert.Equal(t, setting(t, f, "postgres", "TEMPORAL_DB_PASSWORD"), setting(t, f, "temporal-schema", "SQL_PASSWORD"))
	tokens, err := config.ReadAdminTokensFile(devSecretPath(f.Secrets["admin_tokens"].File))
	require.NoError(t, err, "the dev ADMIN_TOKENS_FILE parses")
	assert.Empty(t, tokens, "no admin token ships in the repository")
}

// The stock Temporal images read passwords from the environment only; the
// scripts compose runs instead of their entrypoints take them from files.
func TestScriptsReadPasswordsFromTheirFiles(t *testing.T) {
	s := load(t)
	for file, want := range map[string]string{
		"temporal/server.sh":         `"$POSTGRES_PWD_FILE"`,
		"temporal/schema.sh":         `"$SQL_PASSWORD_FILE"`,
		"postgres/init-databases.sh": `"$PAYOUTS_DB_PASSWORD_FILE"`,
	} {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Contains(t, string(raw), want, file)
	}
	assert.Equal(t, []string{"sh", "/deploy/server.sh"}, s["temporal"].Entrypoint)
	raw, err := os.ReadFile("temporal/server.sh")
	require.NoError(t, err)
	assert.Contains(t, string(raw), "exec /etc/temporal/entrypoint.sh", "then the image's own entrypoint")
}
