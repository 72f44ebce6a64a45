// Command devstack is `make run`: it starts the dev cluster (internal/devstack) and
// platform-api and pod-mutator against it, prints where everything is, and stops it all on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/slipway-dev/slipway/internal/devstack"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/podmutator"
)

func main() {
	dir := flag.String("dir", ".dev", "where the stack keeps its state and logs")
	binDir := flag.String("bin", "bin", "where hack/build-tools.sh put the binaries")
	configPath := flag.String("config", "config/dev.yaml", "platform-api configuration")
	apiPort := flag.Int("apiserver-port", 6443, "kube-apiserver port on 127.0.0.1")
	platformAPI := flag.String("platform-api", "bin/platform-api", "the platform-api binary (make build)")
	podMutator := flag.String("pod-mutator", "bin/pod-mutator", "the pod-mutator binary (make build)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(*dir, *binDir, *configPath, *platformAPI, *podMutator, *apiPort, log); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(dir, binDir, configPath, platformAPI, podMutator string, apiPort int, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	fmt.Println("starting the dev stack (etcd, kube-apiserver, controller-manager, scheduler, kwok, Knative Serving) …")
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	stack, err := devstack.Start(ctx, devstack.Options{Dir: dir, BinDir: binDir, APIServerPort: apiPort,
		Domains: cfg.Domains, Platform: cfg, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("stopping every process the dev stack started …")
		stack.Stop()
		fmt.Println("stopped.")
	}()
	if err := stack.StartProcess("platform-api", nil, platformAPI,
		"--config="+configPath, "--kubeconfig="+stack.KubeconfigFor(devstack.IdentityPlatformAPI)); err != nil {
		return err
	}
	mutator, err := stack.SetUpPodMutator(ctx, podmutator.DefaultRegistration())
	if err != nil {
		return err
	}
	if err := stack.StartProcess("pod-mutator", nil, podMutator, mutator.Args(configPath, stack.KubeconfigFor(devstack.IdentityPodMutator))...); err != nil {
		return err
	}
	for name, url := range map[string]string{
		"platform-api": "http://127.0.0.1:8080/readyz",
		"pod-mutator":  "http://" + mutator.HealthAddr() + "/readyz",
	} {
		if err := waitReady(ctx, name, url, stack); err != nil {
			return err
		}
	}
	fmt.Printf(`
Slipway dev stack is up (%s).

  platform-api   http://127.0.0.1:8080          (API: /api/v1/…, OpenAPI: /api/v1/openapi.json)
  pod-mutator    https://127.0.0.1:%d          (metrics: http://%s/metrics)
  kube-apiserver %s
  kubeconfig     %s      e.g. kubectl --kubeconfig %s get ksvc -A
                 contexts: admin (current; Slipway's objects are changed through Slipway only),
                 break-glass (exempt, for repairs by hand), user (dev-user)
  tokens         %s (cluster admin), %s (dev-user, no rights until granted)
                 every API call needs one: curl -H "Authorization: Bearer $(cat %s)" …
  CLI            bin/slipway login --from-kubeconfig %s -p demo -e test
  logs           %s
  images         deploy %s/… tags or digests: nothing here pulls or resolves images

Press Ctrl-C to stop everything.
`, time.Since(started).Round(time.Second), mutator.Registration.Port, mutator.MetricsAddr(), stack.Config.Host, stack.Kubeconfig, stack.Kubeconfig,
		filepath.Join(stack.Dir, "tokens/admin"), filepath.Join(stack.Dir, "tokens/user"), filepath.Join(stack.Dir, "tokens/admin"),
		stack.Kubeconfig, filepath.Join(stack.Dir, "logs"), devstack.DevRegistry)

	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := stack.Healthy(); err != nil {
				return err
			}
		}
	}
}

func waitReady(ctx context.Context, name, url string, stack *devstack.Stack) error {
	err := testutil.Poll(ctx, 60*time.Second, 250*time.Millisecond, stack.Healthy, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s", url, resp.Status)
		}
		return nil
	})
	if errors.Is(err, testutil.ErrGaveUp) {
		return fmt.Errorf("%s did not become ready: %w (see %s)", name, err, filepath.Join(stack.Dir, "logs", name+".log"))
	}
	return err
}
