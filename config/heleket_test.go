package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeleketURLMustBeHTTPSOutsideLoopback(t *testing.T) {
	ok := []Config{
		{HeleketProjectURL: "https://api.heleket.com"},
		{HeleketProjectURL: "http://127.0.0.1:8090"},
		{HeleketProjectURL: "http://localhost:8090"},
		{HeleketProjectURL: "http://[::1]:8090"},
		{HeleketProjectURL: "http://sandbox:8090", HeleketAllowHTTPHost: "sandbox"},
	}
	for _, c := range ok {
		assert.NoError(t, c.checkHeleketURL(), c.HeleketProjectURL)
	}
	refused := []Config{
		{HeleketProjectURL: "http://api.heleket.com"},
		{HeleketProjectURL: "http://10.0.0.5:8090"},
		{HeleketProjectURL: "http://api.heleket.com", HeleketAllowHTTPHost: "sandbox"},
	}
	for _, c := range refused {
		err := c.checkHeleketURL()
		require.Error(t, err, c.HeleketProjectURL)
		assert.Contains(t, err.Error(), "HELEKET_ALLOW_HTTP_HOST", "the message names the setting that allows it")
	}
	assert.ErrorContains(t, Config{HeleketProjectURL: "ftp://api.heleket.com"}.checkHeleketURL(), "want https")
}

func TestLoadRefusesPlainHTTPToARealHost(t *testing.T) {
	t.Setenv("HELEKET_PROJECT_URL", "http://api.heleket.com")
	_, err := Load()
	assert.ErrorContains(t, err, "plain http")
}
