// Package deploy checks the deployment files: no Docker engine runs in
// tests, so the compose file is parsed and held against the code it
// deploys (config variables, search attributes, sandbox credentials).
package deploy

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/workflows"
)

type service struct {
	Image       string               `yaml:"image"`
	Build       any                  `yaml:"build"`
	Restart     string               `yaml:"restart"`
	Command     []string             `yaml:"command"`
	Profiles    []string             `yaml:"profiles"`
	Environment map[string]string    `yaml:"environment"`
	DependsOn   map[string]dependsOn `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Ports      []string `yaml:"ports"`
	Volumes    []string `yaml:"volumes"`
	Secrets    []string `yaml:"secrets"`
	Entrypoint []string `yaml:"entrypoint"`
}

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

type dependsOn struct {
	Condition string `yaml:"condition"`
}

func load(t *testing.T) map[string]service {
	t.Helper()
	return loadFile(t).Services
}

func loadFile(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("../docker-compose.yml")
	require.NoError(t, err)
	var file composeFile
	require.NoError(t, yaml.Unmarshal(raw, &file), "docker-compose.yml parses")
	require.NotEmpty(t, file.Services)
	return file
}

// oneShot services run to completion; everything else keeps running.
func (s service) oneShot() bool { return s.Restart == "no" }

// appServices run the payouts binary and read config.Config.
var appServices = []string{"migrate", "api", "worker"}

// configVars are the environment variables config.Config reads.
func configVars() map[string]bool {
	vars := map[string]bool{}
	t := reflect.TypeFor[config.Config]()
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("envconfig"); name != "" {
			vars[name] = true
		}
	}
	return vars
}

var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}`)

// resolved is the value compose uses when the variable is not set: its
// ${VAR:-default}, or "" for ${VAR}.
func resolved(v string) string {
	return interpolation.ReplaceAllString(v, "$2")
}

func TestComposeHasTheDeploymentShape(t *testing.T) {
	s := load(t)
	for _, name := range []string{"postgres", "temporal-schema", "temporal", "temporal-setup", "temporal-ui", "migrate", "api", "worker", "sandbox"} {
		assert.Contains(t, s, name)
	}
	assert.Equal(t, []string{"sandbox"}, s["sandbox"].Profiles, "the sandbox only runs with --profile sandbox")
	assert.Equal(t, []string{"monitoring"}, s["prometheus"].Profiles, "Prometheus only runs with --profile monitoring")
	for _, name := range []string{"migrate", "temporal-schema", "temporal-setup"} {
		assert.True(t, s[name].oneShot(), "%s runs once", name)
	}
	assert.Equal(t, []string{"migrate"}, s["migrate"].Command)
	assert.Equal(t, []string{"api"}, s["api"].Command)
	assert.Equal(t, []string{"worker"}, s["worker"].Command)
}

func TestImagesArePinnedToVersions(t *testing.T) {
	// Prometheus tags its releases v3.5.0.
	version := regexp.MustCompile(`^[a-z0-9./_-]+:v?[0-9][0-9A-Za-z._-]*$`)
	for name, svc := range load(t) {
		if svc.Build != nil {
			assert.NotEmpty(t, svc.Image, "%s names the image it builds", name)
			assert.False(t, strings.HasSuffix(svc.Image, ":latest") || !strings.Contains(svc.Image, ":"), "%s: %s", name, svc.Image)
			continue
		}
		assert.Regexp(t, version, svc.Image, "%s: image pinned to a version, not latest or untagged", name)
	}
	s := load(t)
	assert.Equal(t, s["temporal"].Image[strings.Index(s["temporal"].Image, ":"):], s["temporal-schema"].Image[strings.Index(s["temporal-schema"].Image, ":"):],
		"the schema tools match the server version")
	assert.True(t, strings.HasPrefix(s["postgres"].Image, "postgres:16."), "PostgreSQL 16")
}

func TestAppEnvironmentMatchesTheConfigStruct(t *testing.T) {
	known := configVars()
	for _, name := range config.SecretSettings(config.Config{}) {
		known[name+"_FILE"] = true
	}
	s := load(t)
	for _, name := range appServices {
		for key := range s[name].Environment {
			assert.True(t, known[key], "%s sets %s, which config.Config does not read", name, key)
		}
	}
	for key := range s["sandbox"].Environment {
		assert.True(t, known[key] || strings.HasPrefix(key, "SANDBOX_"), "sandbox sets unknown %s", key)
	}
}

func TestRequiredSettingsAreProvided(t *testing.T) {
	required := map[string][]string{
		"migrate": {"DATABASE_URL"},
		"api":     {"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "HTTP_ADDR", "HELEKET_API_KEY", "TEMPORAL_UI_URL"},
		"worker": {"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "HELEKET_PROJECT_URL",
			"HELEKET_MERCHANT_ID", "HELEKET_API_KEY", "PUBLIC_BASE_URL", "WORKER_METRICS_ADDR"},
	}
	f := loadFile(t)
	s := f.Services
	for name, vars := range required {
		for _, v := range vars {
			assert.NotEmpty(t, setting(t, f, name, v), "%s needs %s with a working default", name, v)
		}
	}
	// The defaults outside a container would point at 127.0.0.1.
	for _, name := range []string{"api", "worker"} {
		assert.NotContains(t, s[name].Environment["TEMPORAL_ADDRESS"], "127.0.0.1")
		assert.NotContains(t, setting(t, f, name, "DATABASE_URL"), "127.0.0.1")
	}
	assert.True(t, strings.HasPrefix(s["api"].Environment["HTTP_ADDR"], "0.0.0.0:"), "the api listens beyond loopback")
}

func TestAPIAndWorkerAgree(t *testing.T) {
	f := loadFile(t)
	s := f.Services
	for _, v := range []string{"DATABASE_URL_FILE", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE",
		"HELEKET_API_KEY_FILE", "PAYLOAD_KEYS_FILE", "PAYLOAD_KEY_ID", "DATABASE_MAX_CONNS"} {
		assert.Equal(t, s["api"].Environment[v], s["worker"].Environment[v], "%s: a mismatch splits the service", v)
	}
	assert.Equal(t, s["api"].Environment["DATABASE_URL_FILE"], s["migrate"].Environment["DATABASE_URL_FILE"], "migrate prepares the api's database")
	// The sandbox's defaults are the credentials the app defaults to.
	assert.Equal(t, sandbox.DevMerchantID, resolved(s["sandbox"].Environment["HELEKET_MERCHANT_ID"]))
	assert.Equal(t, sandbox.DevAPIKey, setting(t, f, "sandbox", "HELEKET_API_KEY"))
	assert.Equal(t, s["sandbox"].Environment["HELEKET_API_KEY_FILE"], s["worker"].Environment["HELEKET_API_KEY_FILE"])
	assert.Equal(t, s["sandbox"].Environment["HELEKET_MERCHANT_ID"], s["worker"].Environment["HELEKET_MERCHANT_ID"])
	assert.Contains(t, resolved(s["worker"].Environment["HELEKET_PROJECT_URL"]), "sandbox:8090")
	assert.Contains(t, resolved(s["worker"].Environment["PUBLIC_BASE_URL"]), "api:8080", "sandbox webhooks reach the api")
}

func TestDependenciesConvergeWithoutManualSteps(t *testing.T) {
	s := load(t)
	for name, svc := range s {
		for dep, d := range svc.DependsOn {
			target, ok := s[dep]
			require.True(t, ok, "%s depends on unknown %s", name, dep)
			assert.Empty(t, target.Profiles, "%s must not depend on %s, which runs only in a profile", name, dep)
			want := "service_healthy"
			if target.oneShot() {
				want = "service_completed_successfully"
			}
			assert.Equal(t, want, d.Condition, "%s -> %s", name, dep)
		}
	}
	chain := map[string][]string{
		"temporal-schema": {"postgres"},
		"temporal":        {"temporal-schema"},
		"temporal-setup":  {"temporal"},
		"temporal-ui":     {"temporal"},
		"migrate":         {"postgres"},
		"api":             {"migrate", "temporal-setup"},
		"worker":          {"migrate", "temporal-setup"},
	}
	for name, deps := range chain {
		for _, dep := range deps {
			assert.Contains(t, s[name].DependsOn, dep, "%s waits for %s", name, dep)
		}
	}
}

func TestLongRunningServicesHaveHealthChecks(t *testing.T) {
	for name, svc := range load(t) {
		if svc.oneShot() {
			continue
		}
		require.NotNil(t, svc.Healthcheck, "%s needs a healthcheck", name)
		assert.NotEmpty(t, svc.Healthcheck.Test, name)
	}
	s := load(t)
	assert.Contains(t, strings.Join(s["api"].Healthcheck.Test, " "), "8080")
	assert.Contains(t, strings.Join(s["worker"].Healthcheck.Test, " "), "9091")
	assert.Contains(t, s["worker"].Environment["WORKER_METRICS_ADDR"], ":9091")
}

func TestSetupRegistersEveryPayoutSearchAttribute(t *testing.T) {
	script, err := os.ReadFile("temporal/setup.sh")
	require.NoError(t, err)
	attrs := map[string]string{
		workflows.AttrStatus.GetName(): "Keyword", workflows.AttrClientID.GetName(): "Keyword",
		workflows.AttrAsset.GetName(): "Keyword", workflows.AttrNetwork.GetName(): "Keyword",
		workflows.AttrOrigin.GetName(): "Keyword", workflows.AttrNeedsAttention.GetName(): "Bool",
	}
	for name, typ := range attrs {
		assert.Contains(t, string(script), name+":"+typ)
	}
	s := load(t)
	assert.True(t, slices.ContainsFunc(s["temporal-setup"].Volumes, func(v string) bool { return strings.Contains(v, "setup.sh") }))
	assert.True(t, slices.ContainsFunc(s["postgres"].Volumes, func(v string) bool { return strings.Contains(v, "docker-entrypoint-initdb.d") }))
}

func TestDockerfileBuildsAStaticNonRootImage(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	require.NoError(t, err)
	df := string(raw)
	var from []string
	for _, line := range strings.Split(df, "\n") {
		if f, ok := strings.CutPrefix(line, "FROM "); ok {
			from = append(from, strings.Fields(f)[0])
		}
	}
	require.Len(t, from, 2, "multi-stage: build, then a small runtime image")
	assert.Regexp(t, `^golang:1\.26\.\d+-`, from[0], "the builder is pinned to the toolchain go.mod names")
	assert.Contains(t, from[1], "distroless/static")
	assert.Contains(t, df, "CGO_ENABLED=0")
	assert.Contains(t, df, "USER nonroot")
	assert.Contains(t, df, "./cmd/payouts")
	ignore, err := os.ReadFile("../.dockerignore")
	require.NoError(t, err)
	assert.Contains(t, string(ignore), "bin", "the 370 MB dev server binary stays out of the build context")
}
