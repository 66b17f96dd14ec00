package main

import "testing"

// The daemon refuses to serve the API beyond loopback without a token;
// commands that do not listen work with the same configuration.
func TestServe_RefusesOpenAPIOffLoopback(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:0", ":0"} {
		t.Run(listen, func(t *testing.T) {
			c := setup(t)
			c.env = append(c.env, "DIALER_HTTP_LISTEN="+listen)
			c.ok("campaign", "apply", "-f", "../../testdata/campaigns/ivr.yaml")
			contains(t, c.ok("campaign", "list"), "survey-ivr")
			c.fails("http.listen "+listen+" is reachable from other hosts; set http.token (or DIALER_HTTP_TOKEN) or listen on 127.0.0.1",
				"serve", "--sim", "--until-done")
		})
	}
}
