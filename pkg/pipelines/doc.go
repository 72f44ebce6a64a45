// Package pipelines builds and deploys apps through Argo Workflows, without Argo's server:
// the standard WorkflowTemplate every project namespace gets (clone → rootless build and
// push → deploy through platform-api with the built digest), the run Workflow of an app
// (the standard steps plus the project's own stages and approval gates), checked with
// Argo's own validator, the run view read back from a Workflow's status, and the parsing
// and verification of Git push hooks. Everything here is pure; pkg/apps writes the objects.
//
// A run is a Workflow in the app's environment namespace, labelled with project, app and
// env, running as the namespace's slipway-pipeline ServiceAccount, which may deploy in that
// namespace only (a RoleBinding to slipway-developer). Its deploy step calls
// POST …/deployments with pipelineRun set; platform-api then reads the commit from the
// run's own clone step, never from the request, and records both on the revision.
package pipelines
