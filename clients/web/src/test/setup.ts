import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
  localStorage.clear();
  sessionStorage.clear();
});

// jsdom lacks these.
if (!('animate' in HTMLElement.prototype)) {
  (HTMLElement.prototype as any).animate = function () {
    return { cancel() {}, finished: Promise.resolve() };
  };
}
window.confirm = () => true;
