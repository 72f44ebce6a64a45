package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
)

const minimal = `
cluster: dev
environments: [{name: test}]
domains: {default: example.test, base: example.test}
`

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]any{
		"listen":           {c.Listen, "127.0.0.1:8080"},
		"auth.cacheTTL":    {c.Auth.CacheTTL.Duration, 10 * time.Second},
		"limits.perUser":   {c.Limits.PerUser, ratelimit.Bucket{Rate: 20, Burst: 40}},
		"limits.hooks":     {c.Limits.Hooks, ratelimit.Bucket{Rate: 1, Burst: 5}},
		"breaker":          {c.Breaker.Failures, uint32(5)},
		"breaker.openFor":  {c.Breaker.OpenFor.Duration, 15 * time.Second},
		"historyLimit":     {c.HistoryLimit, 200},
		"shutdownGrace":    {c.ShutdownGrace.Duration, 20 * time.Second},
		"clusterDomain":    {c.Domains.ClusterDomain, "cluster.local"},
		"ingressGateway":   {c.Routing.IngressGateway, "knative-serving/knative-ingress-gateway"},
		"localGatewayHost": {c.Routing.LocalGatewayHost, "knative-local-gateway.istio-system.svc.cluster.local"},
		"lease":            {c.LeaderElection.Namespace + "/" + c.LeaderElection.Name, "slipway-system/slipway-reconcilers"},
		"lease timing": {fmt.Sprint(c.LeaderElection.LeaseDuration.Duration, c.LeaderElection.RenewDeadline.Duration, c.LeaderElection.RetryPeriod.Duration),
			"15s 10s 2s"},
		"logging.hostRoot": {c.Logging.HostRoot, "/var/log/slipway"},
	}
	for name, gw := range checks {
		if gw[0] != gw[1] {
			t.Errorf("%s = %v, want %v", name, gw[0], gw[1])
		}
	}
	if env, ok := c.Environment("test"); !ok || env.MinScale != 0 {
		t.Errorf("Environment(test) = %+v, %v", env, ok)
	}
	if _, ok := c.Environment("prod"); ok {
		t.Error("Environment(prod) found in a config without it")
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown key":         {minimal + "colour: blue\n", `unknown field "colour"`},
		"no cluster":          {strings.Replace(minimal, "cluster: dev", "", 1), "cluster: Required"},
		"bad cluster":         {strings.Replace(minimal, "cluster: dev", "cluster: Dev_1", 1), "cluster: Invalid"},
		"no environments":     {strings.Replace(minimal, "environments: [{name: test}]", "", 1), "environments: Required"},
		"duplicate env":       {strings.Replace(minimal, "[{name: test}]", "[{name: test}, {name: test}]", 1), "environments[1].name: Duplicate"},
		"negative minScale":   {strings.Replace(minimal, "{name: test}", "{name: test, minScale: -1}", 1), "environments[0].minScale"},
		"maxScale < minScale": {strings.Replace(minimal, "{name: test}", "{name: test, minScale: 3, maxScale: 2}", 1), "environments[0].maxScale"},
		"history too small":   {minimal + "historyLimit: 10\n", "historyLimit"},
		"bad duration":        {minimal + "shutdownGrace: soon\n", "invalid duration"},
		"no base domain":      {strings.Replace(minimal, ", base: example.test", "", 1), "domains.base: Required"},
		"bad gateway":         {minimal + "routing: {ingressGateway: justaname}\n", "routing.ingressGateway"},
		"zero burst":          {minimal + "limits: {perUser: {rate: 5, burst: 0}}\n", "limits.perUser"},
		"short openFor":       {minimal + "breaker: {openFor: 10ms}\n", "breaker"},
		"relative hostRoot":   {minimal + "logging: {hostRoot: var/log}\n", "logging.hostRoot"},
		"system hostRoot":     {minimal + "logging: {hostRoot: /etc/logs}\n", "logging.hostRoot"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse() error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// The shipped dev configuration must load: make run and the integration tests use it.
func TestDevConfigLoads(t *testing.T) {
	c, err := Load("../../config/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if prod, ok := c.Environment("prod"); !ok || prod.MinScale < 1 {
		t.Errorf("dev config prod = %+v, want minScale >= 1", prod)
	}
	if _, err := Load("does-not-exist.yaml"); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
