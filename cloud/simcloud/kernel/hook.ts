/** Listeners for something a module announces (e.g. "VM deleted") to modules that depend on it. */
export class Hook<T> {
  private listeners: ((value: T) => void)[] = [];

  on(listener: (value: T) => void): void {
    this.listeners.push(listener);
  }

  emit(value: T): void {
    for (const l of this.listeners) l(value);
  }
}
