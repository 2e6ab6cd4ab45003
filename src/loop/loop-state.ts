/**
 * The reconcile loop's state. Always moves forward along idle ⇄ reconciling, then
 * stopping → stopped; nothing leaves `stopped`.
 */
export type LoopState = 'idle' | 'reconciling' | 'stopping' | 'stopped';

/** Why a reconcile was requested. Several may be pending at once; they coalesce into one run. */
export type TriggerReason = 'startup' | 'slot' | 'resync' | 'policy-change' | 'reload';
