// A fixed-row-height virtual list: only the rows in view (plus a few) exist in the DOM, whatever the count.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

const OVERSCAN = 8;

export interface Column {
  title: string;
  width: string;
}

export function Header({ columns }: { columns: Column[] }) {
  return (
    <div class="vhead" role="row">
      {columns.map((c) => (
        <div class="cell" role="columnheader" style={{ flex: c.width }} key={c.title}>
          {c.title}
        </div>
      ))}
    </div>
  );
}

export function Cells({ columns, values }: { columns: Column[]; values: ComponentChildren[] }) {
  return (
    <>
      {columns.map((c, i) => (
        <div class="cell" role="cell" style={{ flex: c.width }} key={c.title}>
          {values[i]}
        </div>
      ))}
    </>
  );
}

export function VirtualList(props: {
  count: number;
  rowHeight?: number;
  height?: number;
  renderRow: (index: number) => ComponentChildren;
  onRange?: (first: number, last: number) => void;
  rowClass?: (index: number) => string;
  onRowClick?: (index: number) => void;
  testid?: string;
}) {
  const rowHeight = props.rowHeight ?? 28;
  const height = props.height ?? 480;
  const ref = useRef<HTMLDivElement>(null);
  const frame = useRef(0);
  const [scrollTop, setScrollTop] = useState(0);

  const onScroll = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setScrollTop(ref.current?.scrollTop ?? 0);
    });
  };
  useEffect(() => () => cancelAnimationFrame(frame.current), []);
  // A list that shrank (a new filter) must not stay scrolled past its end.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && el.scrollTop > props.count * rowHeight) {
      el.scrollTop = 0;
      setScrollTop(0);
    }
  }, [props.count, rowHeight]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(props.count, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);
  const onRange = props.onRange;
  useEffect(() => onRange?.(first, last), [first, last, onRange]);

  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) {
    const extra = props.rowClass?.(i) ?? '';
    const click = props.onRowClick;
    rows.push(
      <div
        class={`vrow ${i % 2 ? 'odd' : ''} ${extra}`}
        role="row"
        data-row={i}
        key={i}
        style={{ height: rowHeight }}
        onClick={click ? () => click(i) : undefined}
      >
        {props.renderRow(i)}
      </div>,
    );
  }
  return (
    <div ref={ref} class="vlist" role="table" data-testid={props.testid} data-count={props.count} style={{ height }} onScroll={onScroll}>
      <div style={{ height: props.count * rowHeight, position: 'relative' }}>
        <div style={{ transform: `translateY(${first * rowHeight}px)` }}>{rows}</div>
      </div>
    </div>
  );
}
