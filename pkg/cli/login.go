package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipway-dev/slipway/pkg/client"
)

const defaultServer = "http://127.0.0.1:8080"

func (c *cli) loginCommand() *cobra.Command {
	var kubeconfig, kubeContext string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Store a token for a server in a context, after checking it",
		Long: `Store a bearer token for a server in a context of the config file, and make that
context current. The token comes from --token-file, or from a kubeconfig user's token or
tokenFile (--from-kubeconfig); it is copied to a file only you may read, next to the
config file, and checked with the API (GET /api/v1/me) before anything is written.

The context is --context, else the current one, else "default"; --project and
--environment are stored in it as defaults. Without a token source, login checks the
context's stored token again.`,
		Example: `  slipway login --server http://127.0.0.1:8080 --token-file .dev/tokens/admin -p demo -e test
  slipway login --context prod --server https://slipway.example --from-kubeconfig ~/.kube/config --kube-context prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kubeconfig != "" && c.tokenFile != "" {
				// --token-file is global, so cobra's flag groups cannot see it from here.
				return usagef("pass either --token-file or --from-kubeconfig")
			}
			cfg, path, err := c.loadConfig()
			if err != nil {
				return err
			}
			name := firstOf(c.configContext, cfg.CurrentContext, "default")
			if filepath.Base(name) != name || name == "." || name == ".." {
				return usagef("context name %q: want a name without slashes", name)
			}
			existing := cfg.Find(name)
			if existing == nil {
				existing = &Context{}
			}
			server := firstOf(c.server, existing.Server, defaultServer)
			var token string
			switch {
			case kubeconfig != "":
				token, err = tokenFromKubeconfig(kubeconfig, kubeContext)
			case c.tokenFile != "":
				token, err = readToken(c.tokenFile)
			case existing.TokenFile != "":
				token, err = readToken(existing.TokenFile)
			default:
				return usagef("pass --token-file or --from-kubeconfig")
			}
			if err != nil {
				return err
			}
			api, err := newAPI(server, token)
			if err != nil {
				return err
			}
			me, err := check(api.GetMeWithResponse(cmd.Context()))
			if err != nil {
				return err
			}

			tokenFile := filepath.Join(filepath.Dir(path), "tokens", name)
			if err := os.MkdirAll(filepath.Dir(tokenFile), 0o700); err != nil {
				return err
			}
			if err := writeFileAtomic(tokenFile, []byte(token+"\n"), 0o600); err != nil {
				return err
			}
			ctx := cfg.Upsert(name)
			ctx.Server, ctx.TokenFile = server, tokenFile
			if c.project != "" {
				ctx.Project = c.project
			}
			if c.environment != "" {
				ctx.Environment = c.environment
			}
			cfg.CurrentContext = name
			if err := saveConfig(path, cfg); err != nil {
				return err
			}
			return c.print(meView(me.Body, me.JSON200, "Logged in as", [][2]string{
				{"Server", server},
				{"Context", ctx.Name},
				{"Project", ctx.Project},
				{"Environment", ctx.Environment},
			}))
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "from-kubeconfig", "", "take the token of a kubeconfig's user (its token or tokenFile)")
	cmd.Flags().StringVar(&kubeContext, "kube-context", "", "the kubeconfig context whose user to take (default: its current-context)")
	return cmd
}

func (c *cli) whoamiCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the token says you are, and what you may do outside projects",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := c.session()
			if err != nil {
				return err
			}
			r, err := check(s.api.GetMeWithResponse(cmd.Context()))
			if err != nil {
				return err
			}
			return c.print(meView(r.Body, r.JSON200, "User", [][2]string{
				{"Server", s.server},
				{"Context", s.context},
				{"May create projects", yesNo(r.JSON200.CreateProjects)},
				{"May read the platform", yesNo(r.JSON200.ReadPlatform)},
			}))
		},
	}
}

// meView shows the caller (getMe) above more fields.
func meView(body []byte, u *client.Me, label string, more [][2]string) view {
	fields := append([][2]string{{label, u.Name}, {"Groups", strings.Join(u.Groups, ", ")}}, more...)
	return view{body: body, names: []string{u.Name}, blocks: []block{{fields: fields}}}
}

// tokenFromKubeconfig is the bearer token of the user of a kubeconfig's context. Only
// tokens serve: Slipway checks a bearer token with a TokenReview, so client certificates,
// exec plugins and auth providers cannot be passed on.
func tokenFromKubeconfig(path, kubeContext string) (string, error) {
	kc, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return "", err
	}
	// A tokenFile is relative to the kubeconfig's directory.
	if err := clientcmd.ResolveLocalPaths(kc); err != nil {
		return "", err
	}
	name := firstOf(kubeContext, kc.CurrentContext)
	kctx, ok := kc.Contexts[name]
	if !ok || name == "" {
		return "", usagef("kubeconfig %s has no context %q", path, name)
	}
	user, ok := kc.AuthInfos[kctx.AuthInfo]
	switch {
	case !ok:
		return "", fmt.Errorf("kubeconfig %s: context %q names user %q, which it does not have", path, name, kctx.AuthInfo)
	case user.Token != "":
		return user.Token, nil
	case user.TokenFile != "":
		return readToken(user.TokenFile)
	}
	return "", fmt.Errorf("kubeconfig %s: user %q has no token or tokenFile (client certificates, exec plugins and auth providers give Slipway no bearer token)", path, kctx.AuthInfo)
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
