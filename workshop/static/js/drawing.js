// Drawing on a paused frame: shapes (pen stroke, arrow, box) in fractions of the frame, drawn
// into an SVG whose viewBox is the frame's size (review/drawing.py draws them the same way on
// the server). KaryaDrawing.sketch() makes an SVG a place to draw with a pointer (mouse, pen,
// touch) or with the keyboard (arrow keys move a cursor, Enter sets a point).
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var MAX_SHAPES = 30, MAX_PEN_POINTS = 400, MIN_STEP = 0.004;

  var size = function (svg) {
    var box = svg.viewBox.baseVal;
    return { w: box.width || 1600, h: box.height || 900 };
  };
  var fixed = function (n) { return n.toFixed(1); };

  // The same path data as review/drawing.py's svg_paths().
  var pathData = function (shape, w, h) {
    var p = shape.points.map(function (pt) { return [pt[0] * w, pt[1] * h]; });
    if (shape.kind === "box") {
      return "M" + fixed(p[0][0]) + " " + fixed(p[0][1]) + "H" + fixed(p[1][0]) + "V" + fixed(p[1][1]) +
        "H" + fixed(p[0][0]) + "Z";
    }
    if (shape.kind === "arrow") {
      var angle = Math.atan2(p[1][1] - p[0][1], p[1][0] - p[0][0]), head = Math.hypot(w, h) * 0.03;
      var d = "M" + fixed(p[0][0]) + " " + fixed(p[0][1]) + "L" + fixed(p[1][0]) + " " + fixed(p[1][1]);
      [0.5, -0.5].forEach(function (s) {
        d += "M" + fixed(p[1][0] - head * Math.cos(angle - s)) + " " + fixed(p[1][1] - head * Math.sin(angle - s)) +
          "L" + fixed(p[1][0]) + " " + fixed(p[1][1]);
      });
      return d;
    }
    return "M" + p.map(function (pt) { return fixed(pt[0]) + " " + fixed(pt[1]); }).join("L");
  };

  var path = function (cls, d) {
    var el = document.createElementNS(SVG, "path");
    el.setAttribute("class", cls);
    el.setAttribute("d", d);
    return el;
  };

  // Draw ``shapes`` into ``group`` (emptied first): a dark halo under each coloured line keeps
  // it visible on light and dark pictures alike.
  var render = function (svg, group, shapes) {
    var s = size(svg);
    while (group.firstChild) group.removeChild(group.firstChild);
    shapes.forEach(function (shape) {
      if (!shape || !shape.points || shape.points.length < 2) return;
      var d = pathData(shape, s.w, s.h);
      group.appendChild(path("shape-halo", d));
      group.appendChild(path("shape shape-" + shape.color, d));
    });
  };

  var layer = function (svg, name) {
    var g = svg.querySelector("g." + name);
    if (!g) {
      g = document.createElementNS(SVG, "g");
      g.setAttribute("class", name);
      svg.appendChild(g);
    }
    return g;
  };

  var clamp = function (n) { return Math.min(1, Math.max(0, n)); };
  var round = function (n) { return Math.round(n * 10000) / 10000; };

  // An SVG to draw on. options.onChange(shapes) hears of every finished shape, undo and clear.
  var sketch = function (svg, options) {
    var state = { tool: "pen", color: "red", shapes: [], current: null, active: false, cursor: null };
    var drafts = layer(svg, "draft");
    var cursorMark = document.createElementNS(SVG, "circle");
    cursorMark.setAttribute("class", "draw-cursor");
    cursorMark.setAttribute("hidden", "");
    svg.appendChild(cursorMark);

    var redraw = function () {
      render(svg, drafts, state.current ? state.shapes.concat([state.current]) : state.shapes);
      if (state.cursor && state.keyboard) {
        var s = size(svg);
        cursorMark.removeAttribute("hidden");
        cursorMark.setAttribute("cx", fixed(state.cursor[0] * s.w));
        cursorMark.setAttribute("cy", fixed(state.cursor[1] * s.h));
        cursorMark.setAttribute("r", fixed(Math.hypot(s.w, s.h) * 0.008));
      } else {
        cursorMark.setAttribute("hidden", "");
      }
    };
    var changed = function () { redraw(); if (options.onChange) options.onChange(state.shapes.slice()); };

    var begin = function (point) {
      if (state.shapes.length >= MAX_SHAPES) return false;
      state.current = { kind: state.tool, color: state.color, points: [point, point] };
      return true;
    };
    var extend = function (point) {
      var c = state.current;
      if (!c) return;
      if (c.kind === "pen") {
        var last = c.points[c.points.length - 1];
        if (c.points.length >= 2 && c.points[0] === c.points[1]) c.points[1] = point;  // the stroke's first move
        else if (Math.hypot(point[0] - last[0], point[1] - last[1]) >= MIN_STEP && c.points.length < MAX_PEN_POINTS) {
          c.points.push(point);
        }
      } else {
        c.points[1] = point;
      }
      redraw();
    };
    var finish = function () {
      var c = state.current;
      state.current = null;
      if (c) {
        var a = c.points[0], b = c.points[c.points.length - 1];
        if (c.kind === "pen" || Math.hypot(b[0] - a[0], b[1] - a[1]) >= MIN_STEP) state.shapes.push(c);
      }
      changed();
    };

    // Pointer: a press starts a shape, moving extends it, letting go ends it.
    var pointAt = function (e) {
      var m = svg.getScreenCTM();
      if (!m) return [0, 0];
      var local = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse()), s = size(svg);
      return [round(clamp(local.x / s.w)), round(clamp(local.y / s.h))];
    };
    svg.addEventListener("pointerdown", function (e) {
      if (!state.active || e.button > 0) return;
      e.preventDefault();
      svg.setPointerCapture(e.pointerId);
      state.keyboard = false;
      if (begin(pointAt(e))) redraw();
    });
    svg.addEventListener("pointermove", function (e) {
      if (state.active && state.current && !state.keyboard) extend(pointAt(e));
    });
    var release = function (e) {
      if (!state.active || !state.current || state.keyboard) return;
      extend(pointAt(e));
      finish();
    };
    svg.addEventListener("pointerup", release);
    svg.addEventListener("pointercancel", release);

    // Keyboard: arrows move the cursor (Shift: further), Enter sets a point. An arrow or a box
    // is done at its second point; a pen stroke takes points until Escape (or Enter twice).
    svg.addEventListener("keydown", function (e) {
      if (!state.active) return;
      var step = e.shiftKey ? 0.1 : 0.02, c = state.cursor || [0.5, 0.5];
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      state.keyboard = true;
      if (moves[e.key]) {
        state.cursor = [round(clamp(c[0] + moves[e.key][0])), round(clamp(c[1] + moves[e.key][1]))];
        if (state.current && state.current.kind !== "pen") state.current.points[1] = state.cursor;
        redraw();
      } else if (e.key === "Enter" || e.key === " ") {
        state.cursor = c;
        var cur = state.current;
        if (!cur) {
          begin(c);
          redraw();
        } else if (cur.kind !== "pen") {
          cur.points[1] = c;
          finish();
        } else if (cur.points[1] === cur.points[0]) {
          cur.points[1] = c;  // the stroke's second point
          redraw();
        } else {
          var last = cur.points[cur.points.length - 1];
          if (last[0] === c[0] && last[1] === c[1]) finish();  // Enter twice on one spot ends the stroke
          else { if (cur.points.length < MAX_PEN_POINTS) cur.points.push(c); redraw(); }
        }
      } else if (e.key === "Escape" && state.current) {
        var pen = state.current;
        if (pen.kind === "pen" && pen.points[1] !== pen.points[0]) finish();
        else { state.current = null; redraw(); }
      } else {
        return;
      }
      e.preventDefault();
      e.stopPropagation();
    });

    return {
      setActive: function (on) {
        state.active = on;
        if (!on) { state.current = null; state.keyboard = false; }
        redraw();
      },
      setTool: function (tool) { state.tool = tool; },
      setColor: function (color) { state.color = color; },
      useKeyboard: function () {
        state.keyboard = true;
        state.cursor = state.cursor || [0.5, 0.5];
        redraw();
      },
      undo: function () { state.current = null; state.shapes.pop(); changed(); },
      clear: function () { state.current = null; state.shapes = []; changed(); },
      load: function (shapes) { state.shapes = (shapes || []).slice(); redraw(); },
      shapes: function () { return state.shapes.slice(); },
      show: function (visible) { drafts.toggleAttribute("hidden", !visible); }
    };
  };

  window.KaryaDrawing = { render: render, layer: layer, sketch: sketch };
})();
