export function ReadyBadge({ ready, reason }: { ready: boolean; reason?: string }) {
  if (ready) return <span className="badge ok">Ready</span>
  const pending = !reason || /reconcil|Deploying|RevisionMissing|ContainerCreating|Unknown/i.test(reason)
  return (
    <span className={'badge ' + (pending ? 'pending' : 'bad')} title={reason}>
      {pending ? 'Not ready yet' : 'Failed'}
      {reason ? <span className="sr-only">: {reason}</span> : null}
    </span>
  )
}
