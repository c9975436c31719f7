import type { Caller } from '../kit/caller.js';
import type { Cached } from '../kit/freshness.js';
import type { LookUpSpan, LookUpTracer } from '../kit/trace.js';
import { deadlinePassed, UpstreamError } from '../kit/upstream-error.js';
import { answerFrom, COUNTRIES_CACHE, type LookUpKit } from './answers.js';
import { COUNTRIES, type Country, type CountryDataset } from './countries.js';
import { COUNTRY_REFRESH, type DatasetRefresh, type RefreshOutcome } from './dataset-refresh.js';

export interface LiveFacts {
  lookUp(code: string, caller: Caller, span?: LookUpSpan): Promise<Cached<Country | null>>;
  /** A refresh that no look-up waits for (the schedule's), traced on its own. */
  backgroundRefresh(startedBy?: LookUpSpan): Promise<RefreshOutcome>;
}

/**
 * Look-ups with a key: from the dataset held (CACHED, then STALE while a refresh runs or
 * refreshes fail), the first one of a cold gateway loading it for all, and the bundled
 * dataset standing in where no live one can answer.
 */
export function createLiveFacts(kit: LookUpKit, refresher: DatasetRefresh, tracer?: LookUpTracer): LiveFacts {
  const { ttlMs, now, emit } = kit;
  const usable = (dataset: CountryDataset | null, at: number) => (dataset && at - dataset.fetchedAt < ttlMs + COUNTRY_REFRESH.staleIfErrorMs ? dataset : null);

  const backgroundRefresh = (startedBy?: LookUpSpan) => {
    const own = tracer?.lookUp(COUNTRIES_CACHE, 'dataset');
    own?.event('refresh');
    if (own && startedBy) own.follows(startedBy);
    const flight = refresher.refresh(own ? { trace: own.calls } : {});
    if (own) void flight.then((outcome) => own.end(outcome.ok ? { state: 'LIVE' } : { error: refresher.lastError() }));
    return flight;
  };

  /** A refresh the look-ups start themselves (past the TTL, or after a failure), at most once per COUNTRY_REFRESH.revalidateEveryMs. */
  const revalidate = (at: number, span: LookUpSpan | undefined) => {
    const last = refresher.last();
    if (refresher.running() || (last && at - last.at < COUNTRY_REFRESH.revalidateEveryMs)) return;
    emit(span, 'refresh');
    void backgroundRefresh(span);
  };

  // The look-up whose load the others wait for, while it runs: theirs are linked to it.
  let loading: { flight: Promise<RefreshOutcome>; span: LookUpSpan } | null = null;
  const join = (flight: Promise<RefreshOutcome>, span: LookUpSpan | undefined) => {
    emit(span, 'joined');
    if (span && loading?.flight === flight) span.follows(loading.span);
    return flight;
  };
  const load = (caller: Caller, span: LookUpSpan | undefined) => {
    emit(span, 'miss');
    const flight = refresher.refresh({ ...(span && { trace: span.calls }), ...(caller.onAttempt && { onAttempt: caller.onAttempt }) });
    if (span) {
      const started = { flight, span };
      loading = started;
      void flight.then(() => {
        if (loading === started) loading = null;
      });
    }
    return flight;
  };

  /** No live dataset can answer: the bundled one stands in, or, for a code it does not know, `failure`. */
  const standIn = async (code: string, caller: Caller, span: LookUpSpan | undefined, failure: UpstreamError) => {
    const dataset = await kit.bundled();
    if (dataset.countries[code]) {
      emit(span, 'stale');
      return answerFrom(kit, dataset, code, 'BUNDLED', caller);
    }
    caller.onDelivery?.(null);
    throw failure;
  };

  /** Until the refresh ends, or the caller's deadline: the outcome, or null when the caller gave up. */
  const waitFor = (flight: Promise<RefreshOutcome>, caller: Caller) =>
    new Promise<RefreshOutcome | null>((resolve) => {
      if (caller.signal.aborted) return resolve(null);
      const gaveUp = () => resolve(null);
      caller.signal.addEventListener('abort', gaveUp, { once: true });
      void flight.then((outcome) => {
        caller.signal.removeEventListener('abort', gaveUp);
        resolve(outcome);
      });
    });

  const lastFailure = () => refresher.lastError() ?? new UpstreamError('UPSTREAM_UNAVAILABLE', `${COUNTRIES} has not answered yet`, { hostFailure: false });

  /** The cold gateway's first look-ups: the first loads the dataset (if the caller's budget allows a call), the others wait for that load. */
  const cold = async (code: string, caller: Caller, span: LookUpSpan | undefined) => {
    const waitSeconds = caller.spend ? await caller.spend() : null;
    if (waitSeconds !== null) {
      const refused = new UpstreamError('RATE_LIMITED', `${COUNTRIES} was not called: this client's upstream budget is spent; retry in ${waitSeconds} s`, {
        hostFailure: false,
        retryAfterSeconds: waitSeconds,
        origin: 'caller',
      });
      return standIn(code, caller, span, refused);
    }
    // Another look-up may have started the load while the budget answered.
    const running = refresher.running();
    return settle(code, caller, span, running ? join(running, span) : load(caller, span));
  };

  const settle = async (code: string, caller: Caller, span: LookUpSpan | undefined, flight: Promise<RefreshOutcome>) => {
    const outcome = await waitFor(flight, caller);
    const loaded = usable(refresher.held(), now());
    if (outcome && loaded) return answerFrom(kit, loaded, code, outcome.result === 'loaded' ? 'LIVE' : 'CACHED', caller);
    return standIn(code, caller, span, outcome ? lastFailure() : deadlinePassed(COUNTRIES));
  };

  return {
    backgroundRefresh,
    async lookUp(code, caller, span) {
      const at = now();
      const held = usable(refresher.held(), at);
      if (held) {
        const fresh = at - held.fetchedAt < ttlMs;
        emit(span, fresh ? 'hit' : 'stale');
        if (!fresh) revalidate(at, span);
        return answerFrom(kit, held, code, fresh ? 'CACHED' : 'STALE', caller);
      }
      const running = refresher.running();
      if (running) return settle(code, caller, span, join(running, span));
      if (refresher.last() === null) return cold(code, caller, span);
      revalidate(at, span);
      return standIn(code, caller, span, lastFailure());
    },
  };
}
