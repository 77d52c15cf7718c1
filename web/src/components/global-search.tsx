// Find any account from anywhere: `/` focuses the search in the top bar (unless typing in a field),
// matches by name or external id arrive as you type, and up/down/Enter open one. An ARIA combobox
// with a listbox of matches.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, query } from '../api/client';
import type { AccountListItem, Page } from '../api/types';

const MATCHES = 8;
const DEBOUNCE_MS = 200;

/** Whether a key press lands in something that takes text, where `/` is typed, not a shortcut. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function GlobalSearch() {
  const navigate = useNavigate();
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [term, setTerm] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const id = useId();
  const listId = `${id}-list`;
  const optionId = (index: number) => `${id}-option-${index}`;

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target))
        return;
      event.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  // Ask once typing pauses.
  useEffect(() => {
    const trimmed = text.trim();
    const timer = window.setTimeout(() => setTerm(trimmed), DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text]);

  const matches = useQuery({
    queryKey: ['accounts', 'search', term],
    queryFn: ({ signal }) =>
      api<Page<AccountListItem>>(`/accounts${query({ q: term, limit: MATCHES })}`, { signal }),
    enabled: term !== '',
    staleTime: 30_000,
  });
  const items = term !== '' ? (matches.data?.items ?? []) : [];
  const settled = term === text.trim() && !matches.isFetching;
  const expanded = open && term !== '' && items.length > 0;
  const noMatch = open && term !== '' && items.length === 0 && settled && matches.isSuccess;

  const choose = (account: AccountListItem | undefined) => {
    if (!account) return;
    setText('');
    setTerm('');
    setOpen(false);
    input.current?.blur();
    void navigate(`/accounts/${account.id}`);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        setOpen(true);
        setActive((current) => (items.length === 0 ? 0 : (current + 1) % items.length));
        break;
      case 'ArrowUp':
        event.preventDefault();
        setOpen(true);
        setActive((current) => (items.length === 0 ? 0 : (current - 1 + items.length) % items.length));
        break;
      case 'Enter':
        if (expanded && items.length > 0) {
          event.preventDefault();
          choose(items[Math.min(active, items.length - 1)]);
        }
        break;
      case 'Escape':
        if (open && text !== '') setOpen(false);
        else {
          setText('');
          input.current?.blur();
        }
        break;
    }
  };

  return (
    <div className="global-search">
      <label htmlFor={`${id}-input`} className="visually-hidden">
        Find an account
      </label>
      <input
        ref={input}
        id={`${id}-input`}
        type="text"
        role="combobox"
        autoComplete="off"
        spellCheck={false}
        placeholder="Find an account  /"
        aria-keyshortcuts="/"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={
          expanded && items.length > 0 ? optionId(Math.min(active, items.length - 1)) : undefined
        }
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setActive(0);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={onKeyDown}
      />
      <ul id={listId} role="listbox" aria-label="Matching accounts" hidden={!expanded}>
        {items.map((account, index) => (
          <li
            key={account.id}
            id={optionId(index)}
            role="option"
            aria-selected={index === Math.min(active, items.length - 1)}
            // Keep focus in the box, so the click lands before the list closes.
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => choose(account)}
          >
            {account.name} <span className="muted small">{account.externalId}</span>
          </li>
        ))}
      </ul>
      {noMatch && <p className="no-match">No account matches “{term}”.</p>}
      <span className="visually-hidden" aria-live="polite">
        {open && term !== '' && settled && matches.isSuccess
          ? `${matches.data.total} ${matches.data.total === 1 ? 'account matches' : 'accounts match'}`
          : ''}
      </span>
    </div>
  );
}
