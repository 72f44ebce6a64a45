package podmutator

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/cert"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/slipway-dev/slipway/internal/testutil"
)

// BenchmarkAdmissionThroughputTLS is the webhook's capacity: AdmissionReviews
// for a typical Knative pod POSTed over HTTPS keep-alive connections on
// loopback to the server Run starts (same TLS settings, same handler), by
// a bounded load generator sharing the machine's cores. Run it with a count,
// e.g. -benchtime 20000x; the whole run is also capped at two minutes.
func BenchmarkAdmissionThroughputTLS(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := b.TempDir()
	certPEM, keyPEM, err := cert.GenerateSelfSignedCertKey("localhost", []net.IP{net.ParseIP("127.0.0.1")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for name, data := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	port, err := testutil.FreePort()
	if err != nil {
		b.Fatal(err)
	}

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	h := &Handler{Config: testLogging, Namespaces: managedNamespaces, Decoder: admission.NewDecoder(scheme), Metrics: m}
	server := newWebhookServer(Options{Host: "127.0.0.1", Port: port, CertDir: dir, CertName: "tls.crt", KeyName: "tls.key"}, h)
	served := make(chan error, 1)
	go func() { served <- server.Start(ctx) }()
	for started := server.StartedChecker(); started(nil) != nil; time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-served:
			b.Fatalf("webhook server stopped: %v", err)
		case <-ctx.Done():
			b.Fatal("webhook server not started")
		default:
		}
	}

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	// One keep-alive connection per client goroutine, as the apiserver keeps a
	// pool of them per webhook.
	const perCore = 4
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: perCore * 8,
	}}
	req := review("shop-prod", admissionv1.Create, "Pod", appPod(`[{"path":"/app/logs","name":"app"},{"path":"/var/log/nginx"}]`, true))
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "AdmissionReview"},
		Request:  &req.AdmissionRequest,
	})
	if err != nil {
		b.Fatal(err)
	}
	url := "https://127.0.0.1:" + strconv.Itoa(port) + Path
	// The load generator shares the cores, so it checks answers cheaply: the first one
	// decoded in full, the rest by status and by the patch being there.
	post := func(check func([]byte) error) error {
		httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		httpReq.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(httpReq)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %s", resp.StatusCode, raw)
		}
		return check(raw)
	}
	full := func(raw []byte) error {
		var got admissionv1.AdmissionReview
		if err := json.Unmarshal(raw, &got); err != nil {
			return err
		}
		if got.Response == nil || !got.Response.Allowed || len(got.Response.Patch) == 0 {
			return fmt.Errorf("response %+v", got.Response)
		}
		return nil
	}
	patched := func(raw []byte) error {
		if !bytes.Contains(raw, []byte(`"allowed":true`)) || !bytes.Contains(raw, []byte(`"patchType":"JSONPatch"`)) {
			return fmt.Errorf("not a patch: %s", raw)
		}
		return nil
	}
	if err := post(full); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(perCore)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := post(patched); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reviews/s")
	cancel()
	if err := <-served; err != nil {
		b.Fatal(err)
	}
}
