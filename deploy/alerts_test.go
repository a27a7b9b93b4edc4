package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

type alertRule struct {
	Alert  string            `yaml:"alert"`
	Expr   string            `yaml:"expr"`
	Labels map[string]string `yaml:"labels"`
}

func alertRules(t *testing.T) []alertRule {
	t.Helper()
	raw, err := os.ReadFile("prometheus/alerts.yml")
	require.NoError(t, err)
	var file struct {
		Groups []struct {
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &file))
	var out []alertRule
	for _, g := range file.Groups {
		out = append(out, g.Rules...)
	}
	require.NotEmpty(t, out)
	return out
}

// promtool runs Prometheus's own checker; a missing promtool fails the test:
// the rules would otherwise go untested.
func promtool(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	require.NoError(t, err, "promtool is needed to check the alert rules: apt-get install -y prometheus "+
		"(Debian; .ci/run installs it), or a Prometheus release's promtool on PATH")
	cmd := exec.Command(bin, args...)
	cmd.Dir = "prometheus"
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

func TestAlertRulesAreValid(t *testing.T) {
	out := promtool(t, "check", "rules", "alerts.yml")
	assert.Contains(t, out, "SUCCESS")
	out = promtool(t, "check", "config", "prometheus.yml")
	assert.Contains(t, out, "valid prometheus config")
}

func TestAlertRulesPassTheirUnitTests(t *testing.T) {
	out := promtool(t, "test", "rules", "alerts_test.yml")
	assert.Contains(t, out, "SUCCESS")
}

// Each alert is tested both ways: some evaluation expects it firing, and
// some expects nothing, so a rule that always or never fires fails.
func TestEveryAlertIsTestedFiringAndNotFiring(t *testing.T) {
	raw, err := os.ReadFile("prometheus/alerts_test.yml")
	require.NoError(t, err)
	var file struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &file))
	firing, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range file.Tests {
		for _, e := range tc.AlertRuleTest {
			if len(e.ExpAlerts) > 0 {
				firing[e.Alertname] = true
			} else {
				quiet[e.Alertname] = true
			}
		}
	}
	for _, r := range alertRules(t) {
		assert.True(t, firing[r.Alert], "alerts_test.yml has a case where %s fires", r.Alert)
		assert.True(t, quiet[r.Alert], "alerts_test.yml has a case where %s does not fire", r.Alert)
		assert.Contains(t, []string{"critical", "warning", "info"}, r.Labels["severity"], "%s has a severity", r.Alert)
	}
}

// The signals issue 17 asks alerts for, each covered by at least one rule.
func TestAlertsCoverTheOperatingSignals(t *testing.T) {
	signals := map[string]string{
		"stuck payouts":           "payouts_stuck",
		"held payouts":            "payouts_held",
		"Heleket errors":          `outcome=~"server_error`,
		"Heleket auth failures":   `outcome="unauthorized"`,
		"webhook refusals":        "payouts_webhooks_received_total",
		"reconciliation failures": `kind="reconcile_run_failed"`,
		"low balance":             "payouts_heleket_balance_low_threshold",
		"worker down":             `up{job="payouts-worker"}`,
	}
	var exprs []string
	for _, r := range alertRules(t) {
		exprs = append(exprs, r.Expr)
	}
	for signal, needle := range signals {
		assert.True(t, slices.ContainsFunc(exprs, func(e string) bool { return strings.Contains(e, needle) }),
			"an alert rule watches %s (%s)", signal, needle)
	}
}

var metricName = regexp.MustCompile(`\bpayouts_[a-z_]+`)

// alertMetrics are the product metrics the rules use, without the
// histogram suffixes.
func alertMetrics(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range alertRules(t) {
		for _, m := range metricName.FindAllString(r.Expr, -1) {
			if base := histogramBase(m); !slices.Contains(out, base) {
				out = append(out, base)
			}
		}
	}
	return out
}

func histogramBase(m string) string {
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		m = strings.TrimSuffix(m, suffix)
	}
	return m
}

func TestAlertRulesUseExistingMetrics(t *testing.T) {
	known := productMetrics(t)
	for _, m := range alertMetrics(t) {
		assert.True(t, known[m], "an alert uses %s, which /metrics does not export", m)
	}
}

func TestScrapeJobsAreTheOnesTheRulesName(t *testing.T) {
	raw, err := os.ReadFile("prometheus/prometheus.yml")
	require.NoError(t, err)
	var cfg struct {
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
		RuleFiles []string `yaml:"rule_files"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	var jobs []string
	for _, s := range cfg.ScrapeConfigs {
		jobs = append(jobs, s.JobName)
	}
	assert.ElementsMatch(t, []string{"payouts-api", "payouts-worker"}, jobs)
	assert.Equal(t, []string{"alerts.yml"}, cfg.RuleFiles)
	vols := load(t)["prometheus"].Volumes
	for _, f := range []string{"prometheus.yml", "alerts.yml"} {
		assert.Contains(t, vols, "./deploy/prometheus/"+f+":/etc/prometheus/"+f+":ro", "compose's Prometheus loads %s", f)
	}
}
