package apps

import (
	"github.com/slipway-dev/slipway/pkg/logging"
)

// FilebeatInputs renders the collector's inputs for every project
// namespace: the pod-mutator's mounted directories and the containers'
// stdout (see logging.RenderFilebeatInputs). With no project yet, the list is
// empty.
func (p *Platform) FilebeatInputs() ([]byte, error) {
	projects, err := p.ListProjects()
	if err != nil {
		return nil, err
	}
	var sources []logging.FilebeatSource
	for _, pr := range projects {
		for env, ns := range pr.Namespaces {
			sources = append(sources, logging.FilebeatSource{Project: pr.Name, Env: env, Namespace: ns})
		}
	}
	if len(sources) == 0 {
		return []byte("filebeat.inputs: []\n"), nil
	}
	return logging.RenderFilebeatInputs(p.cfg.Logging, sources)
}
