import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { currentRequestScope } from '../request-context';

/**
 * The API's Temporal client, noting in the request scope every workflow run a request starts or
 * cancels. An operation's ID is its first run's ID, so the audit trail links the operation a request
 * started without any surface reporting it. The client shares the connection it wraps.
 */
export function trackingRequestRuns(client: Client): Client {
  const tracker: WorkflowClientInterceptor = {
    async startWithDetails(input, next) {
      const output = await next(input);
      currentRequestScope()?.startedRunIds.push(output.runId);
      return output;
    },
    async cancel(input, next) {
      const response = await next(input);
      const runId = input.firstExecutionRunId ?? input.workflowExecution.runId;
      if (runId) currentRequestScope()?.cancelledRunIds.push(runId);
      return response;
    },
  };
  const { interceptors, namespace, dataConverter, identity } = client.options;
  const existing = Array.isArray(interceptors.workflow) ? interceptors.workflow : [];
  return new Client({
    connection: client.connection,
    namespace,
    dataConverter,
    identity,
    interceptors: { ...interceptors, workflow: [...existing, tracker] },
  });
}
