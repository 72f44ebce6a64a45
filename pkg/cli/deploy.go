package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) deployCommand() *cobra.Command {
	var (
		req                client.DeployRequest
		env, logPaths      []string
		minScale, maxScale int32
		target             int32
		cpu, memory        string
		cpuLimit, memLimit string
		breakGlass         string
	)
	cmd := &cobra.Command{
		Use:   "deploy APP --image IMAGE",
		Short: "Deploy a new revision of an app (all traffic, a canary share, or requests with a header)",
		Long: `Deploy a new revision: the flags are its whole spec (what is not given is not kept from
the previous revision). By default the revision takes all traffic; --canary N gives it N
percent, scaling the current split to make room; --header k=v (or --lane) sends it only
the requests that match, at 0% otherwise.

With --wait (the default) slipway returns once the revision is Ready and Knative's Route
serves the split; a revision that fails ends the wait with Knative's reason (exit 1).

An environment reached only by promotion refuses a deploy (rule promotionRequired, exit 7):
promote a release into it (slipway promote), or, where that cannot wait, deploy with
--break-glass REASON, which needs the breakGlass right there and is kept with the revision,
in the history and in the audit trail.`,
		Example: `  slipway deploy hello --image dev.local/hello:v2 --message "v2 for 10%" --canary 10
  slipway deploy hello --image dev.local/hello:v3 --header x-user-group=beta --tag beta
  slipway deploy hello --image dev.local/hello:v4 --env LOG_LEVEL=debug --min-scale 1 --memory 256Mi
  slipway -e prod deploy hello --image dev.local/hello:v5 --min-scale 1 --break-glass "INC-42: v4 leaks memory"`,
		Args: cobra.ExactArgs(1),
	}
	f := cmd.Flags()
	f.StringVar(&req.Image, "image", "", "the image: registry/name:tag or …@sha256:<digest>")
	f.StringArrayVar(&env, "env", nil, "an environment variable KEY=VALUE (repeatable)")
	f.Int32Var(&req.Port, "port", 0, "the port the container listens on (default 8080)")
	f.Int32Var(&minScale, "min-scale", 0, "the fewest pods (the environment sets a floor)")
	f.Int32Var(&maxScale, "max-scale", 0, "the most pods (the environment sets a ceiling)")
	f.Int32Var(&target, "concurrency-target", 0, "requests in flight per pod the autoscaler aims for")
	f.StringVar(&cpu, "cpu", "", "CPU request, e.g. 100m")
	f.StringVar(&memory, "memory", "", "memory request, e.g. 256Mi")
	f.StringVar(&cpuLimit, "cpu-limit", "", "CPU limit")
	f.StringVar(&memLimit, "memory-limit", "", "memory limit")
	f.StringArrayVar(&logPaths, "log-path", nil, "a directory whose files the platform collects, e.g. /app/logs (repeatable)")
	strategy := addStrategyFlags(cmd)
	f.StringVar(&req.Message, "message", "", "why: kept with the revision and in the history")
	f.StringVar(&req.Domain, "domain", "", "the host scheme: default ({app}.{namespace}.{domain}) or short ({app}.sls-{cluster}.{base}); empty keeps the app's")
	f.StringVar(&breakGlass, "break-glass", "", "deploy into an environment reached only by promotion, for this reason (needs the breakGlass right; audited)")
	_ = cmd.MarkFlagRequired("image")
	_ = cmd.RegisterFlagCompletionFunc("domain", cobra.FixedCompletions([]string{"default", "short"}, cobra.ShellCompDirectiveNoFileComp))
	wait := addWaitFlags(cmd, true, "the revision is ready and serves its traffic")

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var err error
		if req.Env, err = envVars(env); err != nil {
			return err
		}
		for _, p := range logPaths {
			req.LogPaths = append(req.LogPaths, client.LogPath{Path: p})
		}
		set := cmd.Flags().Changed
		for _, s := range []struct {
			flag string
			v    int32
			into **int32
		}{{"min-scale", minScale, &req.Scaling.MinScale}, {"max-scale", maxScale, &req.Scaling.MaxScale}, {"concurrency-target", target, &req.Scaling.Target}} {
			if set(s.flag) {
				*s.into = &s.v
			}
		}
		req.Resources.Requests = quantities(map[string]string{"cpu": cpu, "memory": memory})
		req.Resources.Limits = quantities(map[string]string{"cpu": cpuLimit, "memory": memLimit})
		if req.Strategy, err = strategy.strategy(set); err != nil {
			return err
		}
		if req.BreakGlass, err = breakGlassReason(set, breakGlass); err != nil {
			return err
		}

		s, a, err := c.forApp(args[0])
		if err != nil {
			return err
		}
		r, err := check(s.api.DeployWithResponse(cmd.Context(), a.project, a.app, a.env, req))
		if err != nil {
			return err
		}
		return c.reportDeploy(cmd.Context(), s, a, r.Body, r.JSON201, "", wait)
	}
	return cmd
}

// reportDeploy prints a deploy's answer (what says the new revision, plus suffix) and, with
// --wait, waits until the revision serves. The answer comes first: a script gets the
// revision's name even when the wait fails.
func (c *cli) reportDeploy(ctx context.Context, s *session, a appRef, body []byte, res *client.DeployResult, suffix string, wait *waitOptions) error {
	v := trafficView(body, res.Traffic, res.Rules)
	v.text = fmt.Sprintf("Deployed %s (%s) to %s/%s%s.", res.Revision, res.Image, a.project, a.env, suffix)
	v.names = []string{res.Revision}
	if err := c.print(v); err != nil || !wait.enabled() {
		return err
	}
	_, err := poll(ctx, c.poller(wait), s.getApp(a), deployed(res.Revision))
	return err
}

// strategyFlags are how a deploy or a promotion moves traffic to its new revision: all of
// it (replace, the default), a canary share, or only the requests with a header.
type strategyFlags struct {
	kind      string
	canary    int64
	headers   []string
	lane, tag string
}

var strategies = []string{"replace", "canary", "header"}

// addStrategyFlags gives cmd --strategy, --canary, --header, --lane and --tag.
func addStrategyFlags(cmd *cobra.Command) *strategyFlags {
	s := &strategyFlags{}
	f := cmd.Flags()
	f.StringVar(&s.kind, "strategy", "", "replace, canary or header (default: as --canary, --header or --lane say, else replace)")
	f.Int64Var(&s.canary, "canary", 0, "give the new revision this percentage of traffic (1-99)")
	f.StringArrayVar(&s.headers, "header", nil, "send the new revision only requests with this header, name=value (repeatable: all must match)")
	f.StringVar(&s.lane, "lane", "", "send the new revision only requests with header x-slipway-lane: LANE")
	f.StringVar(&s.tag, "tag", "", "the new revision's tag for --header or --lane (its own host)")
	cmd.MarkFlagsMutuallyExclusive("canary", "header")
	cmd.MarkFlagsMutuallyExclusive("canary", "lane")
	cmd.MarkFlagsMutuallyExclusive("header", "lane")
	_ = cmd.RegisterFlagCompletionFunc("strategy", cobra.FixedCompletions(strategies, cobra.ShellCompDirectiveNoFileComp))
	return s
}

// strategy is the API's strategy from the flags; set tells which were given. None gives
// the zero strategy, which the API takes as replace.
func (s *strategyFlags) strategy(set func(string) bool) (client.Strategy, error) {
	var out client.Strategy
	switch {
	case set("canary"):
		out.Type, out.Percent = "canary", &s.canary
	case len(s.headers) > 0:
		out.Type = "header"
		m, err := exactHeaders(s.headers)
		if err != nil {
			return out, err
		}
		out.Match.Headers = m
	case s.lane != "":
		out.Type = "header"
	case s.tag != "":
		return out, usagef("--tag goes with --header or --lane")
	}
	out.Lane, out.Tag = s.lane, s.tag
	switch s.kind {
	case "", out.Type:
	case "replace", "canary", "header":
		if out.Type == "" && s.kind == "replace" {
			out.Type = s.kind
			break
		}
		what := map[string]string{"replace": "no --canary, --header or --lane", "canary": "--canary", "header": "--header or --lane"}[s.kind]
		return out, usagef("--strategy %s goes with %s", s.kind, what)
	default:
		return out, usagef("--strategy %q: want one of %s", s.kind, strings.Join(strategies, ", "))
	}
	return out, nil
}

// breakGlassReason is --break-glass's exception to a policy, which the API takes only
// with a reason.
func breakGlassReason(set func(string) bool, reason string) (client.BreakGlass, error) {
	if !set("break-glass") {
		return client.BreakGlass{}, nil
	}
	if strings.TrimSpace(reason) == "" {
		return client.BreakGlass{}, usagef("--break-glass needs a reason")
	}
	return client.BreakGlass{Reason: reason}, nil
}

// envVars parses KEY=VALUE pairs, in the order given.
func envVars(pairs []string) ([]client.EnvVar, error) {
	var out []client.EnvVar
	for _, p := range pairs {
		k, v, err := keyValue("--env", p)
		if err != nil {
			return nil, err
		}
		out = append(out, client.EnvVar{Name: k, Value: v})
	}
	return out, nil
}

// exactHeaders parses name=value pairs into exact header matches; header names are
// case-insensitive, and the API takes them in lower case.
func exactHeaders(pairs []string) (map[string]client.StringMatch, error) {
	out := map[string]client.StringMatch{}
	for _, p := range pairs {
		k, v, err := keyValue("--header", p)
		if err != nil {
			return nil, err
		}
		out[strings.ToLower(k)] = client.StringMatch{Exact: v}
	}
	return out, nil
}

// keyValue splits KEY=VALUE at the first "=".
func keyValue(flag, s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", usagef("%s %q: want KEY=VALUE", flag, s)
	}
	return k, v, nil
}

// quantities drops the resources not given.
func quantities(m map[string]string) map[string]string {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
