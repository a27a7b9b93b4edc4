package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// checkHeleketURL refuses plain http to Heleket outside loopback: the
// payout key signs every request, and a payout's terms travel in it. A test
// setup names the one host it allows (HELEKET_ALLOW_HTTP_HOST).
func (c Config) checkHeleketURL() error {
	u, err := url.ParseRequestURI(c.HeleketProjectURL)
	if err != nil {
		// The URL may carry credentials: never echo it.
		return errors.New("HELEKET_PROJECT_URL does not parse as an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
	default:
		return fmt.Errorf("HELEKET_PROJECT_URL: scheme %q, want https", u.Scheme)
	}
	host := u.Hostname()
	if isLoopback(host) || (c.HeleketAllowHTTPHost != "" && strings.EqualFold(host, c.HeleketAllowHTTPHost)) {
		return nil
	}
	return fmt.Errorf("HELEKET_PROJECT_URL: plain http to %s is refused outside loopback: use https, "+
		"or, for a test setup such as a sandbox on another host, set HELEKET_ALLOW_HTTP_HOST=%s", host, host)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
