// Small DOM helpers the panels share: find, update and make elements (HTML, and SVG for the timeline). The page
// is updated in place, never rebuilt, so an input keeps its focus and its half-typed value while the figures
// around it change.

const svgNamespace = 'http://www.w3.org/2000/svg'

/** @param {string} id */
export function byId(id) {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`the console page has no #${id}`)
  return element
}

/** Assigns text only when it changed: no needless layout, no lost selection. */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text
}

export function formInput(form, name) {
  return /** @type {HTMLInputElement} */ (form.elements.namedItem(name))
}

export function option(value, text = value) {
  const element = document.createElement('option')
  element.value = value
  element.textContent = text
  return element
}

export function paragraph(text, className = '') {
  const element = document.createElement('p')
  element.textContent = text
  if (className !== '') element.className = className
  return element
}

/** @param {Array<[string, string?]>} cells each cell's text and class */
export function tableRow(cells) {
  const row = document.createElement('tr')
  for (const [text, className = ''] of cells) {
    const cell = document.createElement('td')
    cell.textContent = text
    if (className !== '') cell.className = className
    row.append(cell)
  }
  return row
}

export function svg(name, attributes, text) {
  const element = document.createElementNS(svgNamespace, name)
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value))
  if (text !== undefined) element.textContent = text
  return element
}

/** A tooltip on an SVG mark, which is also what a screen reader reads for it. */
export function withTitle(element, text) {
  element.append(svg('title', {}, text))
  return element
}
