package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) appCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List the project's apps, one row per environment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, p, err := c.forProject()
			if err != nil {
				return err
			}
			r, err := check(s.api.ListAppsWithResponse(cmd.Context(), p))
			if err != nil {
				return err
			}
			b := block{header: []string{"NAME", "ENV", "READY", "LATEST", "TRAFFIC", "URL"}}
			var names []string
			for _, a := range *r.JSON200 {
				names = append(names, a.Name)
				envs := make([]string, 0, len(a.Envs))
				for env := range a.Envs {
					envs = append(envs, env)
				}
				sort.Strings(envs)
				for _, env := range envs {
					st := a.Envs[env]
					b.rows = append(b.rows, []string{a.Name, env, yesNo(st.Ready), st.LatestReadyRevision, formatTargets(st.Traffic), st.Url})
				}
			}
			return c.print(view{body: r.Body, names: names, blocks: []block{b}})
		},
	}
	describe := &cobra.Command{
		Use:   "describe APP",
		Short: "Show an app in the environment: status, hosts, traffic as set and as served, rules",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.GetAppWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			return c.print(appView(r.Body, r.JSON200))
		},
	}
	del := &cobra.Command{
		Use:   "delete APP",
		Short: "Delete an app from the environment (its revisions and routes go with it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.DeleteAppWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			return c.print(view{body: r.Body, names: []string{a.app},
				text: fmt.Sprintf("Deleted app %s from environment %s of project %s.", a.app, a.env, a.project)})
		},
	}
	return group("app", "List, describe and delete apps", list, describe, del)
}

func appView(body []byte, st *client.AppStatus) view {
	var hosts []string
	for _, h := range st.Hosts {
		if h.Tag != "" {
			hosts = append(hosts, h.Host+" ("+h.Tag+")")
		} else {
			hosts = append(hosts, h.Host)
		}
	}
	var logPaths []string
	for _, lp := range st.LogPaths {
		logPaths = append(logPaths, lp.Path)
	}
	ready := yesNo(st.Ready)
	if st.Reason != "" {
		ready += " (" + st.Reason + ")"
	}
	blocks := []block{{fields: [][2]string{
		{"App", st.App},
		{"Project", st.Project},
		{"Environment", st.Env},
		{"Namespace", st.Namespace},
		{"URL", st.Url},
		{"Ready", ready},
		{"Image", st.Image},
		{"Latest created", st.LatestCreatedRevision},
		{"Latest ready", st.LatestReadyRevision},
		{"Hosts", strings.Join(hosts, ", ")},
		{"Log paths", strings.Join(logPaths, ", ")},
		{"Scaling", scalingSummary(st.Scaling)},
	}}, targetsBlock("Traffic", st.Traffic), servedBlock(st.ServedTraffic)}
	if len(st.Rules) > 0 {
		blocks = append(blocks, rulesBlock(st.Rules))
	}
	return view{body: body, names: []string{st.App}, blocks: blocks}
}

func servedBlock(ts []client.ServedTarget) block {
	b := block{title: "Served (Knative's Route)", header: []string{"REVISION", "PERCENT", "TAG", "URL"}}
	for _, t := range ts {
		b.rows = append(b.rows, []string{t.Revision, fmt.Sprint(t.Percent), t.Tag, t.Url})
	}
	return b
}
